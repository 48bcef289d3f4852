package io.tally.http;

import java.time.Clock;

import javax.sql.DataSource;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import io.tally.maintenance.PeriodicTask;
import io.tally.topology.TopologyAutoConfiguration;

/**
 * Idempotent {@code POST} requests for servlet web applications (Spring MVC), with
 * {@code tally.idempotency.enabled=true}: off unless the application asks, as every web part of the library.
 */
@AutoConfiguration(after = TopologyAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.springframework.web.servlet.DispatcherServlet")
@ConditionalOnProperty(prefix = "tally.idempotency", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(IdempotencyProperties.class)
public final class IdempotencyAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotentRequests tallyIdempotentRequests(DataSource dataSource) {
        return new IdempotentRequests(JdbcClient.create(dataSource),
                io.tally.jdbc.OwnTransaction.template(dataSource));
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyIdempotencyFilter")
    FilterRegistrationBean<IdempotencyFilter> tallyIdempotencyFilter(IdempotentRequests requests,
            IdempotencyProperties properties, java.util.Optional<Clock> clock, JsonMapper json) {
        FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(
                new IdempotencyFilter(requests, properties, clock.orElseGet(Clock::systemUTC), json));
        // After security, so that an unauthenticated request never claims a key.
        registration.setOrder(Ordered.LOWEST_PRECEDENCE - 100);
        return registration;
    }

    @Bean
    @ConditionalOnMissingBean
    IdempotencyProblems tallyIdempotencyProblems() {
        return new IdempotencyProblems();
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyIdempotencyKeyRequired")
    WebMvcConfigurer tallyIdempotencyKeyRequired(JsonMapper json) {
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(new IdempotencyKeyInterceptor(json));
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyIdempotencyPurger")
    PeriodicTask tallyIdempotencyPurger(IdempotentRequests requests, IdempotencyProperties properties,
            java.util.Optional<Clock> clock) {
        Clock time = clock.orElseGet(Clock::systemUTC);
        return new PeriodicTask("tally-idempotency-purge", properties.purgeInterval(), properties.purgeInterval(),
                () -> {
                    while (requests.purge(time.instant()) == 5000) {
                        // bounded batches until done
                    }
                }, true);
    }
}
