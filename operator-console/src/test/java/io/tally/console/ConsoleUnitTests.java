package io.tally.console;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The console's own rules; its pages and its calls are tested in a browser against the system (flow-tests). */
class ConsoleUnitTests {

    @Test
    void onlyPathsBelowTheRootArePassedOn() {
        assertThat(ServiceCalls.PATH.matcher("dead-letters/page").matches()).isTrue();
        assertThat(ServiceCalls.PATH.matcher("dead-letters/dl-12/replay").matches()).isTrue();
        assertThat(ServiceCalls.PATH.matcher("payments/P%2D1/exchanges").matches()).isTrue();
        assertThat(ServiceCalls.PATH.matcher("../actuator/env").matches()).isFalse();
        assertThat(ServiceCalls.PATH.matcher("dead-letters/../../actuator").matches()).isFalse();
        assertThat(ServiceCalls.PATH.matcher("dead-letters/./x").matches()).isFalse();
        assertThat(ServiceCalls.PATH.matcher("/absolute").matches()).isFalse();
        assertThat(ServiceCalls.PATH.matcher("a//b").matches()).isFalse();
        assertThat(ServiceCalls.PATH.matcher("x?y=1").matches()).as("the query is passed on apart").isFalse();
        assertThat(ServiceCalls.PATH.matcher("").matches()).isFalse();
    }

    @Test
    void theOperatorsPasswordNeverShowsInWhatIsLogged() {
        Operator operator = new Operator("operator", "s3cret-pass");
        assertThat(operator.toString()).isEqualTo("operator").doesNotContain("s3cret");
        assertThat(operator.authorization()).isEqualTo("Basic b3BlcmF0b3I6czNjcmV0LXBhc3M=");
    }

    @Test
    void theServicesAreNamedAndTheFirstChecksTheSignIn() {
        Map<String, URI> services = new LinkedHashMap<>();
        services.put("order", URI.create("http://127.0.0.1:8081"));
        services.put("payment", URI.create("http://127.0.0.1:8083"));
        assertThat(new ConsoleProperties(services, java.time.Duration.ofSeconds(5)).first())
            .isEqualTo(URI.create("http://127.0.0.1:8081"));
        assertThatIllegalArgumentException().isThrownBy(() -> new ConsoleProperties(Map.of(), java.time.Duration.ofSeconds(5)));
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new ConsoleProperties(Map.of("../x", URI.create("http://h")), java.time.Duration.ofSeconds(5)));
    }
}
