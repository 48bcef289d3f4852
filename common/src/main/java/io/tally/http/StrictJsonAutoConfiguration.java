package io.tally.http;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;

import io.tally.contract.StrictJson;

/**
 * JSON is read as written, never coerced: Jackson as Boot configures it accepts {@code 9.99} for an integer
 * (and keeps 9), {@code "5"} for a number, {@code 12} for a text and {@code null} for a primitive, so a price or a quantity could be
 * silently other than what the client sent. With this, each of those is a 400 (problem details) at the edge,
 * ({@link StrictJson}). On with {@code tally.json.strict=true}: the application's JSON is its own until it asks.
 * Messages are read so by the consumer chain whatever this says.
 * It also gives such requests problem details of stable types ({@link RequestProblems}).
 */
@AutoConfiguration(beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@ConditionalOnClass(JsonMapperBuilderCustomizer.class)
@ConditionalOnProperty(name = "tally.json.strict", havingValue = "true")
public class StrictJsonAutoConfiguration {

    /** The problem details of requests that cannot be taken as sent (in a servlet application). */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication(
            type = org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type.SERVLET)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean(
            org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler.class)
    RequestProblems tallyRequestProblems() {
        return new RequestProblems();
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyStrictJson")
    JsonMapperBuilderCustomizer tallyStrictJson() {
        return StrictJson::apply;
    }
}
