package io.tally.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Keeps common's layering honest.
 */
@AnalyzeClasses(packages = "io.tally", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTests {

    @ArchTest
    static final ArchRule capabilitiesHaveNoCycles = slices().matching("io.tally.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule theArchivedSpringRetryIsNotUsed = noClasses().should()
        .dependOnClassesThat().resideInAPackage("org.springframework.retry..")
        .because("retries use Spring Framework 7's org.springframework.core.retry");

    @ArchTest
    static final ArchRule onlyTheConsumerChainAndTheRecorderTouchTheChannel = noClasses().that()
        .resideOutsideOfPackages("io.tally.inbox..", "io.tally.deadletter..")
        .should().dependOnClassesThat().haveFullyQualifiedName("com.rabbitmq.client.Channel")
        .because("acknowledgement belongs to one chain in common");

    @ArchTest
    static final ArchRule contractsDependOnNothingElseOfTally = noClasses().that().resideInAPackage("io.tally.contract..")
        .should().dependOnClassesThat().resideInAnyPackage("io.tally.outbox..", "io.tally.inbox..",
                "io.tally.deadletter..", "io.tally.retry..", "io.tally.topology..", "io.tally.http..");
}
