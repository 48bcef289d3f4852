/** The events of this system, its contract between services. */
@NullMarked
package io.tally.events;

import org.jspecify.annotations.NullMarked;
