package io.tally.console;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The operator console: {@code java -jar operator-console-exec.jar}, on 127.0.0.1:8088 by default. */
@SpringBootApplication
@EnableConfigurationProperties(ConsoleProperties.class)
public class ConsoleApplication {

    /** The name of its configuration file ({@code operator-console.yml}), so that it can share a class path. */
    public static final String CONFIG_NAME = "operator-console";

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading {@code operator-console.yml}. */
    public static SpringApplication application() {
        SpringApplication application = new SpringApplication(ConsoleApplication.class);
        application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
        return application;
    }
}
