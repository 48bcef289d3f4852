package io.tally.console;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A signed-in operator: the name and password the services accept, kept in the server's session (never sent to the
 * browser) to call the services' operator APIs for the operator. Not a credentials container on purpose: Spring
 * Security erases those after the login, and the console needs them for every call.
 */
public record Operator(String name, String password) {

    /** The HTTP basic authorization of the operator. */
    String authorization() {
        return "Basic " + Base64.getEncoder().encodeToString((this.name + ":" + this.password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return this.name;
    }
}
