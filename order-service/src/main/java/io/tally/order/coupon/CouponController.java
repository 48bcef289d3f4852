package io.tally.order.coupon;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/users/{userId}/coupons}. */
@RestController
class CouponController {

    private final Coupons coupons;

    CouponController(Coupons coupons) {
        this.coupons = coupons;
    }

    @GetMapping("/api/users/{userId}/coupons")
    List<Coupon> coupons(@PathVariable @jakarta.validation.constraints.Size(max = 64) String userId) {
        return this.coupons.of(userId);
    }
}
