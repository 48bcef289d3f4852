package io.tally.contract;

/**
 * A message that breaks its contract: unreadable, without a message id, of an unknown type or of a newer
 * schema version. Retrying cannot help, so the consumer chain dead-letters it at once.
 */
public class ContractViolationException extends RuntimeException {

    public ContractViolationException(String message) {
        super(message);
    }

    public ContractViolationException(String message, Throwable cause) {
        super(message, cause);
    }
}
