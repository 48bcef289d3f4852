/**
 * Publishing with correlated publisher confirms and the mandatory flag: the one way tally sends a message.
 */
package io.tally.confirm;
