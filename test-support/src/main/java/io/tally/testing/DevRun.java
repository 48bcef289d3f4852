package io.tally.testing;

import java.security.SecureRandom;
import java.util.Base64;

import org.slf4j.LoggerFactory;

/**
 * What a service started from its {@code Test…Application} needs besides {@link DevServices}: an operator password,
 * from {@code OPERATOR_PASSWORD} when it is set, else one made up for this run and logged once (as Spring Boot does
 * for its generated password). Nothing here is a credential of any deployment.
 */
public final class DevRun {

    private DevRun() {
    }

    /** Sets {@code spring.security.user.password} for this run unless the environment gives one. */
    public static void operatorPassword() {
        if (System.getenv("OPERATOR_PASSWORD") != null || System.getProperty("spring.security.user.password") != null) {
            return;
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        System.setProperty("spring.security.user.password", password);
        LoggerFactory.getLogger(DevRun.class).warn("Operator password for this run (user 'operator'): {}", password);
    }
}
