package io.tally.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.tracing.exporter.SpanReporter;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The spans every application of the flow systems finished, as their tracer reported them (sampled at 1.0 in these
 * tests), the last {@value #KEPT} of them.
 */
final class FinishedSpans {

    static final int KEPT = 20_000;

    private static final ConcurrentLinkedDeque<Span> spans = new ConcurrentLinkedDeque<>();

    private static final AtomicInteger size = new AtomicInteger();

    private FinishedSpans() {
    }

    /** A span as reported: the application that finished it, its trace, its name and its tags. */
    record Span(String application, String traceId, String spanId, String name, Map<String, String> tags) {
    }

    /** Registers a reporter into the context it initializes, naming the application. */
    static ApplicationContextInitializer<ConfigurableApplicationContext> collector() {
        return context -> context.getBeanFactory().registerSingleton("flowTestSpanReporter", (SpanReporter) span -> {
            spans.add(new Span(context.getEnvironment().getProperty("spring.application.name", "?"), span.getTraceId(),
                    span.getSpanId(), span.getName(), Map.copyOf(span.getTags())));
            if (size.incrementAndGet() > KEPT) {
                spans.pollFirst();
                size.decrementAndGet();
            }
        });
    }

    /** The spans kept whose tag {@code key} is {@code value}. */
    static List<Span> tagged(String key, String value) {
        List<Span> found = new ArrayList<>();
        for (Span span : spans) {
            if (value.equals(span.tags().get(key))) {
                found.add(span);
            }
        }
        return found;
    }

    /** The spans kept of a trace. */
    static List<Span> ofTrace(String traceId) {
        return spans.stream().filter(span -> span.traceId().equals(traceId)).toList();
    }
}
