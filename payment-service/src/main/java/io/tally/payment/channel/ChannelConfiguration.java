package io.tally.payment.channel;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Registers the exchange log's callback filter. */
@Configuration(proxyBeanMethods = false)
class ChannelConfiguration {

    /** The path of the callback endpoints: the simulator's, and under it one per channel. */
    static final String CALLBACK_PATH = "/api/payments/callbacks";

    @Bean
    FilterRegistrationBean<ExchangeLogging.CallbackFilter> callbackExchangeLog(ExchangeLog log) {
        FilterRegistrationBean<ExchangeLogging.CallbackFilter> registration = new FilterRegistrationBean<>(
                new ExchangeLogging.CallbackFilter(log, CALLBACK_PATH));
        registration.addUrlPatterns(CALLBACK_PATH, CALLBACK_PATH + "/*");
        return registration;
    }
}
