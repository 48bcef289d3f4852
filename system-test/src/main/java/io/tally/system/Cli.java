package io.tally.system;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

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
        switch (command) {
            case "demo" -> System.exit((options.containsKey("attach") ? Demo.attached(options)
                    : Demo.run(home, Integer.parseInt(options.getOrDefault("base-port", "18081")),
                            channels(options.getOrDefault("channel", "simulator")))) ? 0 : 1);
            case "soak" -> {
                SystemRun.Config defaults = new SystemRun.Config(Integer.parseInt(options.getOrDefault("orders", "10000")),
                        Integer.parseInt(options.getOrDefault("clients", "16")), !"false".equals(options.get("chaos")));
                SystemRun.Report report = SystemRun.run(home, new SystemRun.Config(defaults.orders(), defaults.concurrency(),
                        Integer.parseInt(options.getOrDefault("base-port", "0")), defaults.chaos(),
                        options.containsKey("window-seconds")
                                ? java.time.Duration.ofSeconds(Long.parseLong(options.get("window-seconds")))
                                : defaults.paymentWindow(),
                        Double.parseDouble(options.getOrDefault("min-paid-share", Double.toString(defaults.minPaidShare()))),
                        options.containsKey("convergence-minutes")
                                ? java.time.Duration.ofMinutes(Long.parseLong(options.get("convergence-minutes")))
                                : defaults.convergence().plusMinutes(defaults.orders() / 1000),
                        SystemRun.Sabotage.valueOf(options.getOrDefault("sabotage", "NONE")), java.util.Set.of())
                    .withScale(Integer.parseInt(options.getOrDefault("instances", "1")),
                            Integer.parseInt(options.getOrDefault("broker-nodes", "1")))
                    .withScenarios(scenarios(options.getOrDefault("scenarios", "broker-outage,poison"))));
                System.out.println(report.text());
                System.exit(report.holds() ? 0 : 1);
            }
            case "throughput" -> System.exit(Throughput.run(home, new Throughput.Options(
                    Throughput.rates(options.get("rates")), Integer.parseInt(options.getOrDefault("step-seconds", "30")),
                    Integer.parseInt(options.getOrDefault("max-clients", "96")),
                    Path.of(options.getOrDefault("out", "docs/throughput")),
                    Optional.ofNullable(options.get("profile")).map(Path::of),
                    Integer.parseInt(options.getOrDefault("warm-up-seconds", "90")))));
            case "scenario" -> {
                // one scenario alone, on a load of its own (no kills)
                String name = args.length > 1 && !args[1].startsWith("--") ? args[1] : options.getOrDefault("name", "");
                SystemRun.Report report = SystemRun.run(home, new SystemRun.Config(
                        Integer.parseInt(options.getOrDefault("orders", "600")),
                        Integer.parseInt(options.getOrDefault("clients", "16")), false)
                    .withScale(Integer.parseInt(options.getOrDefault("instances", "1")),
                            Integer.parseInt(options.getOrDefault("broker-nodes", name.contains("broker-node-kill") ? "3" : "1")))
                    .withScenarios(scenarios(name)));
                System.out.println(report.text());
                System.exit(report.holds() ? 0 : 1);
            }
            default -> {
                System.err.println("usage: demo [--base-port=N] [--channel=simulator|alipay|wechat|all] | soak [--orders=N] [--clients=N] [--chaos=false] "
                        + "[--window-seconds=N] [--min-paid-share=0.9] [--convergence-minutes=N] "
                        + "[--scenarios=broker-outage,poison,database-restart,broker-node-kill,production|all|none] "
                        + "[--instances=1|2] [--broker-nodes=1|3] [--sabotage=PAYMENT_STAYS_DOWN|PAYMENT_TAKES_NO_MONEY] "
                        + "[--home=DIR] [--base-port=N] | scenario broker-outage|poison|database-restart|broker-node-kill "
                        + "[--orders=N] [--clients=N] [--instances=N] [--broker-nodes=N] | throughput "
                        + "[--rates=5,10,15,20,25,30] [--step-seconds=30] [--max-clients=96] [--out=docs/throughput] [--profile=DIR] [--warm-up-seconds=90]");
                System.exit(2);
            }
        }
    }

    private static java.util.Set<SystemRun.Scenario> scenarios(String names) {
        java.util.Set<SystemRun.Scenario> set = java.util.EnumSet.noneOf(SystemRun.Scenario.class);
        for (String name : names.split(",")) {
            switch (name.trim()) {
                case "broker-outage" -> set.add(SystemRun.Scenario.BROKER_OUTAGE);
                case "poison" -> set.add(SystemRun.Scenario.POISON);
                case "database-restart" -> set.add(SystemRun.Scenario.DATABASE_RESTART);
                case "broker-node-kill" -> set.add(SystemRun.Scenario.BROKER_NODE_KILL);
                case "production" -> set.add(SystemRun.Scenario.PRODUCTION);
                case "all" -> set.addAll(java.util.EnumSet.allOf(SystemRun.Scenario.class));
                case "", "none" -> {
                }
                default -> throw new IllegalArgumentException("No scenario '" + name + "': broker-outage, poison, "
                        + "database-restart, broker-node-kill, production or all");
            }
        }
        return set;
    }

    /** {@code --channel}: simulator, alipay, wechat, or all (each order's payment through them in turn). */
    static java.util.List<String> channels(String option) {
        return "all".equals(option) ? Cluster.CHANNELS : java.util.List.of(option.split(","));
    }
}
