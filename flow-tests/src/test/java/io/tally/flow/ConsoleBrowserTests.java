package io.tally.flow;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.ConfigurableApplicationContext;

import io.tally.console.ConsoleApplication;
import io.tally.contract.EventDescriptor;
import io.tally.events.Events;
import io.tally.testing.ServiceTestProperties;
import io.tally.topology.Topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator console in a real browser (Debian's headless Chromium, driven by Selenium) against the running
 * system: sign in with the services' operator credentials, find a dead letter, inspect and discard it with a reason
 * and see the audit trail, the flagged and reconciliation pages, and one order's timeline across the three
 * services; and the console refuses a change without its CSRF token. Screenshots of the main pages go to
 * {@code target/console-screenshots}, and to {@code docs/console} with {@code -Dconsole.screenshots=docs}.
 * Without Chromium and its driver the class is skipped, unless {@code -Dconsole.require=true}.
 */
class ConsoleBrowserTests {

    private static final File CHROMIUM = new File(System.getProperty("console.chromium", "/usr/bin/chromium"));

    private static final File DRIVER = new File(System.getProperty("console.chromedriver", "/usr/bin/chromedriver"));

    private static final Path SHOTS = Path.of("target", "console-screenshots");

    private static FlowFixtures system;

    private static ConfigurableApplicationContext console;

    private static WebDriver browser;

    private static String consoleUrl;

    private static Path profile;

    @BeforeAll
    static void startTheConsoleAndABrowser() throws IOException {
        boolean present = CHROMIUM.canExecute() && DRIVER.canExecute();
        if (!present && Boolean.getBoolean("console.require")) {
            throw new IllegalStateException("Chromium (" + CHROMIUM + ") and ChromeDriver (" + DRIVER + ") are needed: "
                    + "apt-get install chromium chromium-driver");
        }
        assumeThat(present).as("Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver) at "
                + CHROMIUM + " and " + DRIVER).isTrue();
        system = FlowFixtures.system();
        console = ConsoleApplication.application().run("--server.port=0", "--server.address=127.0.0.1",
                "--console.services.order=" + system.orderUrl, "--console.services.inventory=" + system.inventoryUrl,
                "--console.services.payment=" + system.paymentUrl,
                // the services' libraries share this class path; the console alone has none of them
                "--spring.autoconfigure.exclude=" + String.join(",",
                        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
                        "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration"));
        consoleUrl = "http://127.0.0.1:" + console.getEnvironment().getProperty("local.server.port");
        profile = Files.createTempDirectory("tally-console-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // the flags the machine's notes give for Debian's Chromium as root, on a closed network
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1440,1000", "--user-data-dir=" + profile);
        ChromeDriverService driver = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).usingAnyFreePort()
            .build();
        browser = new ChromeDriver(driver, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (console != null) {
            console.close();
        }
        if (system != null) {
            FlowFixtures.release(system);
        }
        if (profile != null) {
            org.springframework.util.FileSystemUtils.deleteRecursively(profile.toFile());
        }
    }

    @Test
    void anOperatorFindsInspectsAndDiscardsADeadLetterAndFollowsAnOrderAcrossTheServices() throws Exception {
        // a message order-service cannot read: dead-lettered at once, PARKED for an operator
        // three messages order-service cannot read: each dead-lettered at once, PARKED for an operator
        String poison = "poison-" + UUID.randomUUID();
        Topology topology = system.order.getBean(Topology.class);
        String queue = topology.workQueue(EventDescriptor.of(Events.StockReserved.class));
        for (String messageId : List.of(poison, poison + "-b", poison + "-c")) {
            MessageProperties properties = new MessageProperties();
            properties.setMessageId(messageId);
            properties.setType("stock.reserved");
            properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
            new RabbitTemplate(system.order.getBean(ConnectionFactory.class)).send("", queue,
                    new Message("{\"orderNo\": \"O-poison\", \"lines\": [".getBytes(StandardCharsets.UTF_8), properties));
        }
        await().atMost(Duration.ofSeconds(30)).dontCatchUncaughtExceptions().until(() -> parked().size() == 3);

        // an order placed and paid, for the timeline
        String sku = "console-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(system.putStock(sku, 1999, 5).status()).isEqualTo(200);
        String orderNo = system.placeOrder("console-user", Map.of(sku, 1));
        system.awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = system.awaitPayment(orderNo);
        assertThat(system.pay(paymentNo, null).status()).isEqualTo(200);
        system.awaitStatus(orderNo, "PAID");
        // a reconciliation run of today, for its page
        system.send("POST", system.paymentUrl + "/api/admin/reconciliations",
                Map.of("date", LocalDate.now(ZoneOffset.UTC).toString()), Map.of("Authorization", FlowFixtures.OPERATOR));

        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        browser.get(consoleUrl + "/");
        wait.until(ExpectedConditions.urlContains("/login"));
        browser.findElement(By.id("username")).sendKeys("operator");
        browser.findElement(By.id("password")).sendKeys("not the password");
        browser.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-error")));
        shot("sign-in-refused");
        browser.findElement(By.id("username")).sendKeys("operator");
        browser.findElement(By.id("password")).sendKeys(ServiceTestProperties.OPERATOR_PASSWORD);
        browser.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.textToBe(By.id("operator"), "operator"));

        // dead letters: the poison message is listed, grouped by its failure
        browser.get(consoleUrl + "/#/dead-letters?service=order&status=PARKED");
        WebElement row = wait.until(ExpectedConditions.presenceOfElementLocated(By.xpath(
                "//table[@id='list-order']//tr[td[contains(., '" + poison + "')] or td[contains(., 'stock.reserved')]]")));
        assertThat(browser.findElement(By.id("groups-order")).getText()).contains(queue);
        shot("dead-letters");
        String id = system.send("GET", system.orderUrl + "/api/admin/dead-letters/page?status=PARKED&limit=500", null,
                Map.of("Authorization", FlowFixtures.OPERATOR)).body().path("items").valueStream()
            .filter(item -> poison.equals(item.path("messageId").asString())).findFirst().orElseThrow()
            .path("id").asString();
        browser.findElement(By.cssSelector("button.inspect[data-id='" + id + "']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-body"), "O-poison"));
        browser.findElement(By.id("discard")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("decision-outcome"))).getText())
            .isEqualTo("Say why first.");
        browser.findElement(By.id("decision-reason")).sendKeys("a malformed test message, never a real event");
        browser.findElement(By.id("discard")).click();
        wait.until(ExpectedConditions.textToBe(By.id("detail-status"), "DISCARDED"));
        assertThat(browser.findElement(By.id("audit")).getText()).contains("operator", "a malformed test message");
        shot("dead-letter-discarded");
        assertThat(system.send("GET", system.orderUrl + "/api/admin/dead-letters/" + id, null,
                Map.of("Authorization", FlowFixtures.OPERATOR)).body().at("/summary/status").asString()).isEqualTo("DISCARDED");

        // the other two, alike, discarded as a group: a reason, a dry run's count, then the action
        browser.get(consoleUrl + "/#/dead-letters?service=order&status=SCHEDULED");
        browser.get(consoleUrl + "/#/dead-letters?service=order&status=PARKED");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#groups-order button.bulk-discard"))).click();
        wait.until(ExpectedConditions.alertIsPresent()).sendKeys("the same malformed test messages");
        browser.switchTo().alert().accept();
        assertThat(wait.until(ExpectedConditions.alertIsPresent()).getText()).startsWith("2 match.");
        browser.switchTo().alert().accept();
        assertThat(wait.until(ExpectedConditions.alertIsPresent()).getText()).isEqualTo("Discarded 2 of 2.");
        browser.switchTo().alert().accept();
        assertThat(parked()).as("no poison message left PARKED").isEmpty();

        browser.get(consoleUrl + "/#/flagged");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("flagged-refunds")));
        shot("flagged");

        browser.get(consoleUrl + "/#/reconciliation");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("runs")));
        assertThat(browser.findElement(By.id("runs")).getText()).contains(LocalDate.now(ZoneOffset.UTC).toString());
        shot("reconciliation");

        // the order across the services: what each published and handled, the reservation, the payment and the
        // channel's exchanges
        browser.get(consoleUrl + "/#/orders/" + orderNo);
        WebElement timeline = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("timeline")));
        String text = timeline.getText();
        assertThat(text).contains("order.created written", "stock.reserved written", "order.paid written",
                "payment.succeeded written", "reservation", "payment " + paymentNo + " paid", "channel");
        assertThat(text).contains("handled").contains("inventory").contains("payment");
        assertThat(browser.findElement(By.id("order-summary")).getText()).contains("PAID");
        shot("order-timeline");
    }

    @Test
    void aChangeWithoutTheSessionsCsrfTokenIsRefusedAndThePagesMayNotBeFramed() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(consoleUrl + "/console/api/order/dead-letters"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as("not signed in").isIn(302, 401, 403);

        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        browser.get(consoleUrl + "/login");
        if (browser.getCurrentUrl().contains("/login")) {
            browser.findElement(By.id("username")).sendKeys("operator");
            browser.findElement(By.id("password")).sendKeys(ServiceTestProperties.OPERATOR_PASSWORD);
            browser.findElement(By.id("sign-in")).click();
        }
        wait.until(ExpectedConditions.textToBe(By.id("operator"), "operator"));
        Cookie session = browser.manage().getCookieNamed("TALLY_CONSOLE");
        assertThat(session).isNotNull();
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualToIgnoringCase("Strict");
        // what another site could make the browser send: the cookie, no token
        HttpResponse<String> forged = http.send(HttpRequest.newBuilder(URI.create(consoleUrl
                + "/console/api/order/dead-letters/replay"))
            .header("Cookie", "TALLY_CONSOLE=" + session.getValue()).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"status\":\"PARKED\",\"reason\":\"forged\",\"dryRun\":false}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).as("a change without the CSRF token").isEqualTo(403);
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(consoleUrl + "/"))
            .header("Cookie", "TALLY_CONSOLE=" + session.getValue()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
            assertThat(csp).contains("frame-ancestors 'none'", "default-src 'self'"));
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        // a path that climbs out of the operator API is not passed on
        HttpResponse<String> climbing = http.send(HttpRequest.newBuilder(URI.create(consoleUrl
                + "/console/api/order/..%2F..%2Factuator%2Fenv"))
            .header("Cookie", "TALLY_CONSOLE=" + session.getValue()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(climbing.statusCode()).isIn(400, 404);
    }

    /** The message ids of order-service's PARKED dead letters that this test published. */
    private static List<String> parked() {
        return system.send("GET", system.orderUrl + "/api/admin/dead-letters/page?status=PARKED&limit=500", null,
                Map.of("Authorization", FlowFixtures.OPERATOR)).body().path("items").valueStream()
            .map(item -> item.path("messageId").asString()).filter(id -> id.startsWith("poison-")).toList();
    }

    private static void shot(String name) throws IOException {
        Path file = SHOTS.resolve(name + ".png");
        Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        if ("docs".equals(System.getProperty("console.screenshots"))) {
            Path docs = Path.of("..", "docs", "console");
            Files.createDirectories(docs);
            Files.copy(file, docs.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
