package io.tally.http;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * JSON is read as written, never coerced: Jackson as Boot configures it accepts {@code 9.99} for an integer
 * (and keeps 9), {@code "5"} for a number, {@code 12} for a text and {@code null} for a primitive, so a price or a quantity could be
 * silently other than what the client sent. With this, each of those is a 400 (problem details) at the edge,
 * and a message whose body does so is a contract violation. {@code tally.json.strict=false} switches it off.
 * It also gives such requests problem details of stable types ({@link RequestProblems}).
 */
@AutoConfiguration(beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@ConditionalOnClass(JsonMapperBuilderCustomizer.class)
@ConditionalOnProperty(name = "tally.json.strict", havingValue = "true", matchIfMissing = true)
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
    JsonMapperBuilderCustomizer tallyStrictJson() {
        return builder -> builder.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // nor a number or a boolean for a text: an order number sent as 12 is not "12"
            .withCoercionConfig(tools.jackson.databind.type.LogicalType.Textual, config -> config
                .setCoercion(tools.jackson.databind.cfg.CoercionInputShape.Integer, tools.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(tools.jackson.databind.cfg.CoercionInputShape.Float, tools.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(tools.jackson.databind.cfg.CoercionInputShape.Boolean, tools.jackson.databind.cfg.CoercionAction.Fail));
    }
}
