/** The services and the simulator as real processes: the demo story and the system test with kills. */
package io.tally.system;
