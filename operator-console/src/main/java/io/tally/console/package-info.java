/** The operator's web console. */
@NullMarked
package io.tally.console;

import org.jspecify.annotations.NullMarked;
