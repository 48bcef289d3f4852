/** The payment channel's wire protocol: messages, headers and signatures. */
@NullMarked
package io.tally.channel;

import org.jspecify.annotations.NullMarked;
