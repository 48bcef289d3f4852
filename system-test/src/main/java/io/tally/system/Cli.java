package io.tally.system;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code demo}: the scripted story; {@code soak --orders=10000}: the system test at any size. Run from the
 * repository's root (or give {@code --home=}), after {@code ./mvnw -DskipTests package}.
 */
public final class Cli {

    private Cli() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--")) {
                String[] kv = arg.substring(2).split("=", 2);
                options.put(kv[0], kv.length > 1 ? kv[1] : "true");
            }
        }
        Path home = Path.of(options.getOrDefault("home", "."));
        String command = args.length > 0 && !args[0].startsWith("--") ? args[0] : "demo";
        int basePort = Integer.parseInt(options.getOrDefault("base-port", "18081"));
        switch (command) {
            case "demo" -> System.exit((options.containsKey("attach") ? Demo.attached(options) : Demo.run(home, basePort)) ? 0 : 1);
            case "soak" -> {
                SystemRun.Report report = SystemRun.run(home, new SystemRun.Config(
                        Integer.parseInt(options.getOrDefault("orders", "10000")),
                        Integer.parseInt(options.getOrDefault("clients", "24")), basePort,
                        !"false".equals(options.get("chaos")),
                        java.time.Duration.ofSeconds(Long.parseLong(options.getOrDefault("window-seconds", "10")))));
                System.out.println(report.text());
                System.exit(report.holds() ? 0 : 1);
            }
            default -> {
                System.err.println("usage: demo | soak [--orders=N] [--clients=N] [--chaos=false] [--window-seconds=N] [--home=DIR] [--base-port=N]");
                System.exit(2);
            }
        }
    }
}
