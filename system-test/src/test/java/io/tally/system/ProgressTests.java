package io.tally.system;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ProgressTests {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private final PrintStream out = new PrintStream(this.bytes, true, StandardCharsets.UTF_8);

    @Test
    void linesComeAtASteadyPaceWithThePhaseAndTheRunsOwnReading() {
        AtomicInteger readings = new AtomicInteger();
        try (Progress progress = new Progress("soak", Duration.ofMillis(50), this.out,
                () -> "orders " + readings.incrementAndGet() + "/10 done")) {
            progress.phase("load");
            await().atMost(Duration.ofSeconds(10)).until(() -> lines().size() >= 3);
            progress.phase("converging");
            int before = lines().size();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines().size() >= before + 2);
        }
        List<String> lines = lines();
        assertThat(lines.get(0)).matches("\\[soak (load|starting) \\+\\d+s\\] orders 1/10 done");
        assertThat(lines.getLast()).startsWith("[soak converging +");
        int closed = lines.size();
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(lines()).as("no line once closed").hasSize(closed);
    }

    @Test
    void aReadingThatFailsIsReportedAndTheNextLineStillComes() {
        AtomicInteger calls = new AtomicInteger();
        try (Progress progress = new Progress("bench", Duration.ofMillis(50), this.out, () -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("database restarting");
            }
            return "published " + calls.get();
        })) {
            await().atMost(Duration.ofSeconds(10)).until(() -> lines().size() >= 2);
        }
        assertThat(lines().get(0)).endsWith("(no reading: database restarting)");
        assertThat(lines().get(1)).endsWith("published 2");
    }

    @Test
    void noLinesWhenSwitchedOffAndElapsedTimeIsReadable() {
        try (Progress progress = new Progress("quiet", Duration.ZERO, this.out, () -> "never")) {
            progress.phase("load");
        }
        assertThat(lines()).isEmpty();
        assertThat(Progress.elapsed(Duration.ofSeconds(59))).isEqualTo("59s");
        assertThat(Progress.elapsed(Duration.ofSeconds(61))).isEqualTo("1m01s");
        assertThat(Progress.elapsed(Duration.ofSeconds(3723))).isEqualTo("1h02m03s");
        assertThat(Progress.rate(10, 40, Duration.ofSeconds(2))).isEqualTo(15.0);
        assertThat(Progress.every("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Progress.every("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Progress.every("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Progress.every("0")).isZero();
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> Progress.every("soon"));
    }

    private List<String> lines() {
        return this.bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
