/**
 * Architecture rules of common, checked with ArchUnit.
 */
package io.tally.architecture;
