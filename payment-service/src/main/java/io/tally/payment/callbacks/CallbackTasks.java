package io.tally.payment.callbacks;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.maintenance.PeriodicTask;
import io.tally.payment.channel.ChannelProperties;
import io.tally.payment.channel.SimulatorChannel;

/** Purges the nonces of callbacks whose timestamps can no longer be accepted, off the callback path. */
@Configuration(proxyBeanMethods = false)
class CallbackTasks {

    @Bean
    PeriodicTask callbackNoncePurge(org.springframework.beans.factory.ObjectProvider<SimulatorChannel> simulator,
            ChannelProperties properties) {
        // only the simulator's protocol records nonces
        return new PeriodicTask("callback-nonce-purge", properties.callbackMaxAge(), properties.callbackMaxAge(),
                () -> simulator.ifAvailable(SimulatorChannel::forgetOldNonces), true);
    }
}
