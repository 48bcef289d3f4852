/** The library as a Spring Boot starter: what adding it does, and does not do, to an application. */
@NullMarked
package io.tally.starter;

import org.jspecify.annotations.NullMarked;
