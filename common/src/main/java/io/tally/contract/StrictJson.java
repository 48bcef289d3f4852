package io.tally.contract;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * JSON read as written, never coerced: no fraction for an integer ({@code 9.99} is not 9), no string for a number,
 * no number or boolean for a text, no {@code null} for a primitive. The consumer chain always reads messages so (a
 * body that needs coercion is a contract violation); an application's own JSON is read so with
 * {@code tally.json.strict=true}.
 */
public final class StrictJson {

    private StrictJson() {
    }

    /** Configures {@code builder} to read JSON as written. */
    public static JsonMapper.Builder apply(JsonMapper.Builder builder) {
        return builder.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // nor a number or a boolean for a text: an order number sent as 12 is not "12"
            .withCoercionConfig(LogicalType.Textual, config -> config
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
    }

    /** A copy of {@code mapper} that reads JSON as written. */
    public static JsonMapper strict(JsonMapper mapper) {
        return apply(mapper.rebuild()).build();
    }
}
