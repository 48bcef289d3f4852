package io.tally.flow;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The services leave messaging mechanics to {@code common}: no service class touches the AMQP channel, sends to
 * the broker, acknowledges, deduplicates or retries; they only implement {@code EventHandler} and call
 * {@code Outbox}.
 */
class ServiceArchitectureTests {

    private final JavaClasses services = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.tally.order", "io.tally.inventory", "io.tally.payment");

    @Test
    void servicesContainNoAckDedupOrRetryCode() {
        noClasses().should()
            .dependOnClassesThat()
            .resideInAnyPackage("com.rabbitmq.client..", "org.springframework.amqp..", "org.springframework.core.retry..",
                    "io.tally.retry..", "io.tally.confirm..")
            .orShould()
            .dependOnClassesThat()
            .haveSimpleName("InboxStore")
            .because("acknowledgement, deduplication and retry live in one chain in common")
            .check(this.services);
    }

    @Test
    void servicesDoNotReadEachOthersCode() {
        noClasses().that().resideInAPackage("io.tally.order..").should().dependOnClassesThat()
            .resideInAnyPackage("io.tally.inventory..", "io.tally.payment..").check(this.services);
        noClasses().that().resideInAPackage("io.tally.inventory..").should().dependOnClassesThat()
            .resideInAnyPackage("io.tally.order..", "io.tally.payment..").check(this.services);
        noClasses().that().resideInAPackage("io.tally.payment..").should().dependOnClassesThat()
            .resideInAnyPackage("io.tally.order..", "io.tally.inventory..").check(this.services);
    }
}
