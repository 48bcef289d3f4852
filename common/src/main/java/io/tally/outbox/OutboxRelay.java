package io.tally.outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

import io.tally.confirm.PublisherConfirms;
import io.tally.contract.MessageHeaders;
import io.tally.outbox.OutboxStore.Failure;

/**
 * Publishes committed outbox rows.
 * <p>
 * Each worker loops: claim a batch in a short transaction ({@code FOR UPDATE SKIP LOCKED}, then a lease with
 * owner and expiry), publish it outside any transaction with the mandatory flag, wait for all its confirms
 * with a timeout, then mark SENT exactly the rows that were acked and not returned, and only while the lease
 * is still ours. A row whose publication failed backs off exponentially with jitter and becomes DEAD after
 * {@code max-attempts}. A commit wakes an idle worker at once; otherwise it looks again every poll interval,
 * which also recovers the rows of a crashed instance once their leases expire.
 */
public final class OutboxRelay implements SmartLifecycle {

    /** Starts after the topology is declared, stops before the connection factory closes. */
    public static final int PHASE = Integer.MAX_VALUE - 1000;

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private final OutboxStore store;

    private final TransactionTemplate claimTransaction;

    private final RetryTemplate claimRetry;

    private final RabbitTemplate rabbit;

    private final OutboxProperties properties;

    private final Clock clock;

    private final String instanceId;

    private final String appId;

    private final JsonMapper json;

    private final OutboxListener listener;

    private final ExponentialBackOff backOff;

    private final Semaphore wakeUps = new Semaphore(0);

    private final AtomicLong claims = new AtomicLong();

    private final List<Thread> workers = new ArrayList<>();

    private volatile boolean running;

    OutboxRelay(OutboxStore store, TransactionTemplate claimTransaction, RetryTemplate claimRetry,
            RabbitTemplate rabbit, OutboxProperties properties, Clock clock, String instanceId, String appId,
            JsonMapper json, OutboxListener listener) {
        this.store = store;
        this.claimTransaction = claimTransaction;
        this.claimRetry = claimRetry;
        this.rabbit = rabbit;
        this.properties = properties;
        this.clock = clock;
        this.instanceId = instanceId;
        this.appId = appId;
        this.json = json;
        this.listener = listener;
        this.backOff = new ExponentialBackOff(properties.backoffInitial().toMillis(), properties.backoffMultiplier());
        this.backOff.setMaxInterval(properties.backoffMax().toMillis());
        this.backOff.setJitter(properties.backoffJitter().toMillis());
    }

    /** Wakes an idle worker: something was committed. */
    public void wakeUp() {
        if (this.wakeUps.availablePermits() < this.properties.workers()) {
            this.wakeUps.release();
        }
    }

    /**
     * Claims, publishes and finishes one batch.
     * @return how many rows were claimed (0 when nothing was due)
     */
    public int relayOnce() {
        String owner = this.instanceId + "#" + this.claims.incrementAndGet();
        long t0 = System.nanoTime();
        List<OutboxRecord> batch = claim(owner);
        long t1 = System.nanoTime();
        if (batch.isEmpty()) {
            return 0;
        }
        this.listener.claimed(batch);
        List<OutboxRecord> confirmed = new ArrayList<>(batch.size());
        List<Failure> failures = new ArrayList<>();
        publish(batch, confirmed, failures);
        long t2 = System.nanoTime();
        Instant now = this.clock.instant();
        if (!confirmed.isEmpty()) {
            this.listener.beforeFinish(confirmed);
            int finished = this.store.finishSent(owner, confirmed, now);
            if (finished < confirmed.size()) {
                log.warn("{} of {} published rows had lost their lease to another relay; they may be published twice",
                        confirmed.size() - finished, confirmed.size());
            }
            this.listener.sent(confirmed);
        }
        if (!failures.isEmpty()) {
            this.store.finishFailed(owner, failures);
            failures.forEach(f -> this.listener.failed(f.record(), f.error(), f.dead()));
        }
        if (log.isDebugEnabled()) {
            log.debug("batch of {}: claim {} ms, publish and confirm {} ms, finish {} ms", batch.size(),
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
        }
        return batch.size();
    }

    private List<OutboxRecord> claim(String owner) {
        try {
            return this.claimRetry.execute(() -> this.claimTransaction.execute(status -> {
                Instant now = this.clock.instant();
                return this.store.claim(owner, this.properties.batchSize(), now, now.plus(this.properties.lease()));
            }));
        }
        catch (RetryException ex) {
            throw new IllegalStateException("Outbox claim failed", ex.getCause());
        }
    }

    private void publish(List<OutboxRecord> batch, List<OutboxRecord> confirmed, List<Failure> failures) {
        List<CorrelationData> correlations = new ArrayList<>(batch.size());
        RuntimeException sendFailure = null;
        try {
            this.rabbit.invoke(operations -> {
                for (OutboxRecord record : batch) {
                    this.listener.beforePublish(record);
                    CorrelationData correlation = new CorrelationData(Long.toString(record.id()));
                    operations.send(record.exchange(), record.routingKey(), toMessage(record), correlation);
                    correlations.add(correlation);
                }
                return null;
            });
        }
        catch (RuntimeException ex) {
            sendFailure = ex;
        }
        long deadline = System.nanoTime() + this.properties.confirmTimeout().toNanos();
        for (int i = 0; i < batch.size(); i++) {
            OutboxRecord record = batch.get(i);
            if (i >= correlations.size()) {
                failures.add(failure(record, "send failed: " + describe(sendFailure)));
                continue;
            }
            CorrelationData correlation = correlations.get(i);
            String problem = PublisherConfirms.problem(correlation, deadline, this.properties.confirmTimeout());
            if (problem == null) {
                confirmed.add(record);
            }
            else {
                failures.add(failure(record, problem));
            }
        }
    }

    private Failure failure(OutboxRecord record, String error) {
        int attempts = record.attempts() + 1;
        boolean dead = attempts >= this.properties.maxAttempts();
        BackOffExecution execution = this.backOff.start();
        long delay = 0;
        for (int i = 0; i < attempts; i++) {
            delay = execution.nextBackOff();
        }
        String trimmed = error.length() > 2000 ? error.substring(0, 2000) : error;
        return new Failure(record, attempts, dead, this.clock.instant().plus(Duration.ofMillis(Math.max(delay, 0))),
                trimmed);
    }

    private Message toMessage(OutboxRecord record) {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setContentEncoding("UTF-8");
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        properties.setMessageId(record.messageId());
        properties.setType(record.eventType());
        properties.setTimestamp(Date.from(record.createdAt()));
        properties.setCorrelationId(record.correlationId());
        properties.setAppId(this.appId);
        properties.setHeader(MessageHeaders.EVENT_TYPE, record.eventType());
        properties.setHeader(MessageHeaders.SCHEMA_VERSION, record.schemaVersion());
        properties.setHeader(MessageHeaders.AGGREGATE_ID, record.aggregateId());
        properties.setHeader(MessageHeaders.OCCURRED_AT, record.createdAt().toString());
        if (record.correlationId() != null) {
            properties.setHeader(MessageHeaders.CORRELATION_ID, record.correlationId());
        }
        if (record.headers() != null) {
            this.json.readValue(record.headers(), HEADERS).forEach(properties::setHeader);
        }
        return new Message(record.payload(), properties);
    }

    private static String describe(Throwable ex) {
        if (ex == null) {
            return "unknown";
        }
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + (root != ex ? " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")" : "");
    }

    private void work() {
        while (this.running) {
            try {
                int claimed = relayOnce();
                if (claimed == 0) {
                    this.wakeUps.tryAcquire(this.properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (RuntimeException ex) {
                // The batch is abandoned as a crash would leave it: its leases expire and it is claimed again.
                log.warn("Outbox relay batch failed, retrying after {}: {}", this.properties.pollInterval(), describe(ex));
                try {
                    this.wakeUps.tryAcquire(this.properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                }
                catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public synchronized void start() {
        if (this.running) {
            return;
        }
        this.running = true;
        for (int i = 0; i < this.properties.workers(); i++) {
            Thread worker = Thread.ofPlatform().name("tally-outbox-relay-" + i).daemon(true).unstarted(this::work);
            this.workers.add(worker);
            worker.start();
        }
    }

    @Override
    public synchronized void stop() {
        this.running = false;
        this.wakeUps.release(this.workers.size());
        for (Thread worker : this.workers) {
            try {
                worker.join(this.properties.confirmTimeout().plusSeconds(5).toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        this.workers.clear();
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public boolean isAutoStartup() {
        return this.properties.enabled();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
