/**
 * Event contracts shared by the services: the event records, their names, versions and exchanges, and the
 * message headers every event carries.
 */
package io.tally.contract;
