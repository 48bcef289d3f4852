package io.tally.topology;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Declares the topology of this service. Active once {@code tally.topology.service} is set.
 */
@AutoConfiguration(after = RabbitAutoConfiguration.class)
@ConditionalOnClass(RabbitTemplate.class)
@ConditionalOnProperty(prefix = "tally.topology", name = "service")
@EnableConfigurationProperties(TopologyProperties.class)
public final class TopologyAutoConfiguration {

    /** The time source of every tally component; a service may supply its own. */
    @Bean
    @ConditionalOnMissingBean
    java.time.Clock tallyClock() {
        return java.time.Clock.systemUTC();
    }

    @Bean
    @ConditionalOnMissingBean
    Topology tallyTopology(TopologyProperties properties) {
        return new Topology(properties);
    }

    @Bean
    @ConditionalOnMissingBean
    TopologyDeclarer tallyTopologyDeclarer(Topology topology, ConnectionFactory connectionFactory) {
        return new TopologyDeclarer(topology, new RabbitAdmin(connectionFactory), connectionFactory);
    }
}
