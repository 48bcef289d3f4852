package io.tally.retry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.springframework.amqp.support.converter.MessageConversionException;
import org.springframework.core.retry.RetryPolicy;

import io.tally.contract.ContractViolationException;

/**
 * Tells permanent failures from transient ones with a core-retry {@link RetryPolicy}: contract violations,
 * unreadable bodies, exceptions annotated {@link NonRetryable} and the configured types are permanent,
 * whatever wraps them; every other exception is transient.
 */
public final class FailureClassifier {

    private final RetryPolicy policy;

    public FailureClassifier(Collection<Class<? extends Throwable>> nonRetryable) {
        List<Class<? extends Throwable>> permanent = new ArrayList<>(nonRetryable);
        permanent.add(ContractViolationException.class);
        permanent.add(MessageConversionException.class);
        permanent.add(tools.jackson.core.JacksonException.class);
        this.policy = RetryPolicy.builder()
            .excludes(permanent)
            .predicate(ex -> !annotatedNonRetryable(ex))
            .build();
    }

    /** Whether retrying cannot help, judged on the exception and all its causes. */
    public boolean isPermanent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!this.policy.shouldRetry(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean annotatedNonRetryable(Throwable ex) {
        return ex.getClass().isAnnotationPresent(NonRetryable.class);
    }
}
