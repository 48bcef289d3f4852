/**
 * Periodic maintenance: purges, re-drives and gauges that run on a fixed delay beside the service.
 */
package io.tally.maintenance;
