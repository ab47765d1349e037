package dev.modelhub.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by Selenium against the
 * application on a random port. A person signs in with a key, uploads a model through the form,
 * quantizes it and watches the job finish, compares the variant with its parent, promotes it, sees
 * the serving page show it and rolls back; a viewer sees no promote control and a forged promote is
 * refused. Screenshots of each step go to {@code target/dashboard-screenshots}. The browser must be
 * installed ({@code .ci/run} installs it): without it this test fails, it does not skip.
 */
class DashboardBrowserIT extends ServingTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Path.of("target", "dashboard-screenshots");

  @org.springframework.beans.factory.annotation.Autowired
  jakarta.persistence.EntityManagerFactory entityManagers;

  /** Numbered across the class's tests, in the order they were taken. */
  private static final java.util.concurrent.atomic.AtomicInteger SHOT =
      new java.util.concurrent.atomic.AtomicInteger();

  private WebDriver browser;
  private Path profile;

  @org.junit.jupiter.api.BeforeAll
  static void freshScreenshots() throws IOException {
    dev.modelhub.common.FileTrees.deleteQuietly(SHOTS);
    Files.createDirectories(SHOTS);
  }

  @BeforeEach
  void startBrowser() throws IOException {
    assertThat(CHROMIUM)
        .as("Chromium (apt-get install chromium chromium-driver; .ci/run does)")
        .isExecutable();
    assertThat(DRIVER).as("chromedriver (apt-get install chromium-driver)").isExecutable();
    profile = Files.createTempDirectory("mh-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,1000",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    Files.createDirectories(SHOTS);
  }

  @AfterEach
  void stopBrowser() throws IOException {
    if (browser != null) {
      browser.quit();
    }
    dev.modelhub.common.FileTrees.deleteQuietly(profile);
  }

  @Test
  void a_person_uploads_optimizes_compares_promotes_and_rolls_back_in_the_browser()
      throws Exception {
    String model = uniqueName("browser");
    String deployer = createKey(uniqueName("ui-deployer"), "deployer");
    signIn(deployer);
    assertThat(text(By.id("signed-in-role"))).isEqualTo("deployer");
    screenshot("models");

    // Upload through the form: the file streams from disk with a progress bar.
    Path onnx = Files.createTempFile("digits", ".onnx");
    Files.write(onnx, Fixtures.bytes("digits_mlp.onnx"));
    open("/ui/upload");
    browser.findElement(By.id("model-name")).sendKeys(model);
    browser.findElement(By.id("file")).sendKeys(onnx.toString());
    browser.findElement(By.id("tags")).sendKeys("team=vision");
    screenshot("upload-form");
    browser.findElement(By.id("upload-button")).click();
    waitFor().until(ExpectedConditions.urlContains("/ui/models/" + model + "/versions/1"));
    screenshot("version-1");

    // A bad upload answers the API's problem, in words, on the form.
    Path text = Files.createTempFile("notes", ".txt");
    Files.writeString(text, "just text");
    open("/ui/upload");
    browser.findElement(By.id("model-name")).sendKeys(model);
    browser.findElement(By.id("file")).sendKeys(text.toString());
    browser.findElement(By.id("upload-button")).click();
    WebElement problem =
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("upload-error")));
    assertThat(problem.getText()).contains("Invalid artifact").contains("Upload ONNX");
    screenshot("upload-refused");

    // Production starts at v1 through the review step.
    promoteTo(model, 1);

    // A labelled dataset through the dataset form, to measure accuracy on.
    Path csv = Files.createTempFile("digits-test", ".csv");
    Files.write(csv, Fixtures.data("digits-test.csv"));
    open("/ui/models/" + model + "/versions/1");
    browser.findElement(By.linkText("Upload a dataset")).click();
    browser.findElement(By.id("dataset-name")).sendKeys("test");
    browser.findElement(By.id("file")).sendKeys(csv.toString());
    browser.findElement(By.id("upload-button")).click();
    waitFor()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.tagName("main"), "test: 450 rows"));
    screenshot("dataset-uploaded");

    // Quantize v1 and watch the job finish (its page updates itself).
    open("/ui/models/" + model + "/versions/1");
    new Select(browser.findElement(By.id("pass"))).selectByValue("quantize-int8-dynamic");
    new Select(browser.findElement(By.id("dataset"))).selectByValue("test");
    // The pass's parameters as fields with their defaults: perChannel is a checkbox, unticked.
    WebElement perChannel = browser.findElement(By.id("param-perChannel"));
    assertThat(perChannel.getAttribute("type")).isEqualTo("checkbox");
    assertThat(perChannel.isSelected()).isFalse();
    perChannel.click();
    screenshot("optimize-form");
    browser.findElement(By.id("start-optimization")).click();
    waitFor().until(ExpectedConditions.urlMatches(".*/ui/jobs/\\d+$"));
    new WebDriverWait(browser, Duration.ofMinutes(3))
        .until(ExpectedConditions.textToBe(By.id("job-status"), "SUCCEEDED"));
    screenshot("job-succeeded");

    // The comparison with its parent: the variant is smaller.
    browser.findElement(By.id("job-compare")).click();
    waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("size-ratio")));
    assertThat(Double.parseDouble(text(By.id("size-ratio")))).isLessThan(0.5);
    screenshot("compare");
    open("/ui/models/" + model + "/versions/2");
    assertThat(browser.findElement(By.cssSelector("p .pass")).getText())
        .contains("perChannel=true");
    assertThat(text(By.id("report")))
        .contains("size (MB)")
        .contains("× 0.")
        .containsPattern("accuracy 0\\.9\\d+ 0\\.9\\d+");
    screenshot("version-2-report");

    // Promote the variant; the serving page shows it once this node serves it.
    promoteTo(model, 2);
    open("/ui/serving");
    new WebDriverWait(browser, LOAD_TIMEOUT)
        .pollingEvery(Duration.ofMillis(500))
        .until(
            d -> {
              d.navigate().refresh();
              return servedVersion(d, model);
            });
    screenshot("serving");

    // Roll back from the alias's card: production goes back to v1.
    open("/ui/models/" + model);
    browser.findElement(By.id("rollback-production")).click();
    browser.switchTo().alert().accept();
    waitFor().until(ExpectedConditions.textToBe(By.id("alias-production"), "v1"));
    assertThat(text(By.tagName("main"))).contains("rolled back to v1");
    screenshot("rolled-back");
    assertThat(
            api.get("/api/v1/models/" + model + "/aliases/production")
                .json()
                .get("version")
                .asInt())
        .isEqualTo(1);
    List<String> actions =
        api.get("/api/v1/audit?model=" + model + "&action=alias.move")
            .json()
            .get("items")
            .valueStream()
            .map(e -> e.get("actor").asString())
            .toList();
    assertThat(actions).hasSize(3).allMatch(actor -> actor.startsWith("ui-deployer"));

    // A viewer sees no promote or roll-back control, and a forged promote is refused.
    String viewer = createKey(uniqueName("ui-viewer"), "viewer");
    browser.findElement(By.cssSelector("form[action='/ui/sign-out'] button")).click();
    signIn(viewer);
    open("/ui/models/" + model);
    assertThat(browser.findElements(By.id("promote-production"))).isEmpty();
    assertThat(browser.findElements(By.id("rollback-production"))).isEmpty();
    screenshot("viewer-model");
    Object status =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "var done = arguments[arguments.length - 1];"
                    + "var h = document.querySelector('meta[name=csrf-header]').content;"
                    + "var t = document.querySelector('meta[name=csrf-token]').content;"
                    + "var headers = {'Content-Type': 'application/x-www-form-urlencoded'};"
                    + "headers[h] = t;"
                    + "fetch('/ui/models/"
                    + model
                    + "/aliases/production', {method: 'POST', headers: headers, body: 'version=2'})"
                    + ".then(function (r) { done(r.status); });");
    assertThat(((Number) status).intValue()).isEqualTo(403);
    assertThat(
            api.get("/api/v1/models/" + model + "/aliases/production")
                .json()
                .get("version")
                .asInt())
        .isEqualTo(1);
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  /**
   * A model of a thousand versions (half of them variants of v1) opens with about as many
   * statements as one of three: the page is a page, and nothing is fetched per version.
   */
  @Test
  void a_model_with_a_thousand_versions_opens_with_no_more_statements_than_a_small_one() {
    String big = uniqueName("thousand");
    String small = uniqueName("three");
    for (String model : List.of(big, small)) {
      register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx");
      promote(model, "production", 1);
    }
    copyVersions(big, 1000);
    copyVersions(small, 3);
    signIn(createKey(uniqueName("ui-big"), "viewer"));

    long smallStatements = statementsToOpen("/ui/models/" + small);
    long bigStatements = statementsToOpen("/ui/models/" + big);
    assertThat(text(By.id("versions"))).contains("v1000").doesNotContain("v950 ");
    assertThat(text(By.cssSelector(".pager"))).contains("Page 1 of 20 (1000)");
    screenshot("thousand-versions");
    System.out.printf(
        "DashboardBrowserIT: model page with 3 versions: %d statements; with 1,000: %d%n",
        smallStatements, bigStatements);
    // A statement per version shown would add 50; the statistics are the whole application's, so
    // a background read (the serving reconciler's) may add one or two to either count.
    assertThat(bigStatements - smallStatements).isLessThan(10);
    assertThat(bigStatements).isLessThan(30);
    for (String model : List.of(big, small)) {
      api.delete("/api/v1/models/" + model + "/aliases/production");
    }
  }

  /** Versions 2..n of {@code model} as copies of v1 (every other one a variant of it). */
  private void copyVersions(String model, int n) {
    jdbc.sql(
            "insert into model_version (model_id, version, format, artifact_digest, size_bytes,"
                + " filename, signature, parameter_count, format_details, tags, parent_version_id,"
                + " lineage, status, created_at, created_by, updated_at)"
                + " select v.model_id, g, v.format, v.artifact_digest, v.size_bytes, v.filename,"
                + " v.signature, v.parameter_count, v.format_details, v.tags,"
                + " case when g % 2 = 0 then v.id end,"
                + " case when g % 2 = 0 then '{\"pass\":\"prune-magnitude\",\"params\":{\"sparsity\":0.5}}'::jsonb end,"
                + " v.status, v.created_at, v.created_by, v.updated_at"
                + " from model_version v join model m on m.id = v.model_id,"
                + " generate_series(2, :n) g where m.name = :model and v.version = 1")
        .param("n", n)
        .param("model", model)
        .update();
    jdbc.sql("update model set last_version = :n where name = :model")
        .param("n", n)
        .param("model", model)
        .update();
  }

  private long statementsToOpen(String path) {
    var statistics = entityManagers.unwrap(org.hibernate.SessionFactory.class).getStatistics();
    statistics.clear();
    open(path);
    waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("versions")));
    return statistics.getPrepareStatementCount();
  }

  @Test
  void a_wrong_key_is_refused_and_audited_and_a_form_post_without_its_csrf_token_is_refused() {
    open("/ui/sign-in");
    String wrong = "mh_" + "x".repeat(48);
    browser.findElement(By.id("key")).sendKeys(wrong);
    browser.findElement(By.cssSelector("form[action='/ui/sign-in'] button")).click();
    waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("p.error")));
    assertThat(text(By.cssSelector("p.error"))).contains("not accepted");
    assertThat(browser.getPageSource()).doesNotContain(wrong);
    assertThat(
            api.get("/api/v1/audit?action=POST%20/ui/sign-in&outcome=unauthenticated")
                .json()
                .get("totalItems")
                .asLong())
        .isPositive();

    String model = uniqueName("csrf");
    register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx");
    signIn(createKey(uniqueName("ui-csrf"), "deployer"));
    open("/ui/models/" + model);
    Object status =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "var done = arguments[arguments.length - 1];"
                    + "fetch('/ui/models/"
                    + model
                    + "/aliases/production', {method: 'POST', headers: {'Content-Type':"
                    + " 'application/x-www-form-urlencoded'}, body: 'version=1'})"
                    + ".then(function (r) { done(r.status); });");
    assertThat(((Number) status).intValue()).isEqualTo(403);
    assertThat(api.get("/api/v1/models/" + model + "/aliases/production").status()).isEqualTo(404);
  }

  private void signIn(String key) {
    open("/ui");
    waitFor().until(ExpectedConditions.urlContains("/ui/sign-in"));
    screenshot("sign-in");
    browser.findElement(By.id("key")).sendKeys(key);
    browser.findElement(By.cssSelector("form[action='/ui/sign-in'] button")).click();
    waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("signed-in-as")));
    assertThat(browser.getCurrentUrl()).doesNotContain(key);
  }

  private void promoteTo(String model, int version) {
    open("/ui/models/" + model);
    new Select(browser.findElement(By.id("promote-production")))
        .selectByValue(Integer.toString(version));
    browser.findElement(By.cssSelector("form.promote button")).click();
    waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("confirm-promote")));
    screenshot("promote-review-v" + version);
    browser.findElement(By.id("confirm-promote")).click();
    waitFor().until(ExpectedConditions.urlMatches(".*/ui/models/" + model + "$"));
    screenshot("promoted-v" + version);
    assertThat(text(By.id("alias-production"))).isEqualTo("v" + version);
  }

  private static boolean servedVersion(WebDriver page, String model) {
    return page
        .findElements(By.cssSelector("td.served-version[data-model='" + model + "']"))
        .stream()
        .anyMatch(cell -> cell.getText().equals("v2"));
  }

  private void open(String path) {
    browser.get("http://localhost:" + port + path);
  }

  private String text(By by) {
    return browser.findElement(by).getText().strip();
  }

  private WebDriverWait waitFor() {
    return new WebDriverWait(browser, Duration.ofSeconds(20));
  }

  private void screenshot(String name) {
    try {
      File file = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
      Files.copy(
          file.toPath(),
          SHOTS.resolve(String.format("%02d-%s.png", SHOT.incrementAndGet(), name)),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot save a screenshot", e);
    }
  }
}
