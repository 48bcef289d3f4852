/** Meters of the library and of the services that use it. */
@NullMarked
package io.tally.metrics;

import org.jspecify.annotations.NullMarked;
