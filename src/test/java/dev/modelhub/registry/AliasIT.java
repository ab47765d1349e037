package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.modelhub.security.Caller;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.OnnxModels;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;
import tools.jackson.databind.JsonNode;

@RecordApplicationEvents
class AliasIT extends IntegrationTest {

  @Autowired AliasService aliases;
  @Autowired ApplicationEvents events;

  @Test
  void moving_and_deleting_an_alias_publish_events() {
    String model = modelWithVersions(2);

    Caller pipeline = Caller.system("pipeline");
    aliases.move(model, "staging", 1, false, pipeline);
    aliases.move(model, "staging", 2, false, pipeline);
    aliases.delete(model, "staging", pipeline);

    assertThat(events.stream(AliasMoved.class).filter(e -> e.model().equals(model)))
        .extracting(
            AliasMoved::alias, AliasMoved::fromVersion, AliasMoved::toVersion, AliasMoved::by)
        .containsExactly(tuple("staging", null, 1, "pipeline"), tuple("staging", 1, 2, "pipeline"));
    assertThat(events.stream(AliasRemoved.class).filter(e -> e.model().equals(model)))
        .extracting(AliasRemoved::alias, AliasRemoved::fromVersion)
        .containsExactly(tuple("staging", 2));
  }

  @Test
  void moves_are_recorded_with_from_to_at_and_by_and_deleting_keeps_the_history() {
    String model = modelWithVersions(3);
    String alias = "/api/v1/models/" + model + "/aliases/production";
    String run1 = uniqueName("ci/run-1");
    String run2 = uniqueName("ci/run-2");
    String run2Retry = uniqueName("ci/run-2-retry");
    String deleter = uniqueName("ci/cleanup");
    Map<String, String> keys = new HashMap<>();
    for (String name : List.of(run1, run2, run2Retry, deleter)) {
      keys.put(name, createKey(name, "deployer"));
    }

    Response first = move(alias, 1, keys.get(run1));
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(first.json().get("version").asInt()).isEqualTo(1);
    assertThat(first.json().get("previousVersion").isNull()).isTrue();
    Response second = move(alias, 3, keys.get(run2));
    assertThat(second.json().get("previousVersion").asInt()).isEqualTo(1);
    assertThat(second.json().get("updatedBy").asString()).isEqualTo(run2);
    // Pointing it where it already points is a no-op a retrying pipeline can rely on.
    Response retry = move(alias, 3, keys.get(run2Retry));
    assertThat(retry.json().get("updatedBy").asString()).isEqualTo(run2);

    JsonNode list = api.get("/api/v1/models/" + model + "/aliases").json();
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("alias").asString()).isEqualTo("production");
    assertThat(list.get(0).get("digest").asString()).startsWith("sha256:");

    assertThat(api.as(keys.get(deleter)).delete(alias).status()).isEqualTo(204);
    assertThat(api.get(alias).status()).isEqualTo(404);

    List<JsonNode> history = history(model, "production");
    assertThat(history).hasSize(3);
    assertMove(history.get(0), null, 1, run1);
    assertMove(history.get(1), 1, 3, run2);
    assertMove(history.get(2), 3, null, deleter);
    assertThat(history.get(0).get("at").asString()).isNotBlank();
    // Each entry links to the audit event that recorded it, by the same actor.
    for (JsonNode entry : history) {
      JsonNode event = auditEvent(model, entry.get("auditEvent").asLong());
      assertThat(event.get("actor").asString()).isEqualTo(entry.get("by").asString());
      assertThat(event.get("alias").asString()).isEqualTo("production");
    }
  }

  @Test
  void concurrent_moves_of_one_alias_lose_no_history_entry() throws Exception {
    String model = modelWithVersions(4);
    String alias = "/api/v1/models/" + model + "/aliases/production";
    int threads = 8;
    int movesPerThread = 15;
    List<String> moverKeys = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      moverKeys.add(createKey(uniqueName("mover-" + t), "deployer"));
    }
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<JsonNode>>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<JsonNode> responses = new ArrayList<>();
                  for (int i = 0; i < movesPerThread; i++) {
                    int target = 1 + (thread + i) % 4;
                    Response r = move(alias, target, moverKeys.get(thread));
                    assertThat(r.status()).as(r.toString()).isEqualTo(200);
                    responses.add(r.json());
                  }
                  return responses;
                }));
      }
      start.countDown();
      for (Future<List<JsonNode>> result : results) {
        assertThat(result.get()).hasSize(movesPerThread);
      }
      // Every request left exactly one audit event; those that changed the alias are exactly the
      // history's entries (linked by id), so no move was lost.
      List<JsonNode> history = history(model, "production");
      Set<Long> linked = new HashSet<>();
      history.forEach(h -> linked.add(h.get("auditEvent").asLong()));
      assertThat(linked).hasSize(history.size());
      JsonNode events =
          api.get("/api/v1/audit?model=" + model + "&action=alias.move&size=500").json();
      assertThat(events.get("totalItems").asInt()).isEqualTo(threads * movesPerThread);
      Set<Long> changes = new HashSet<>();
      events
          .get("items")
          .forEach(
              e -> {
                if (!e.get("detail").asString().contains("no change")) {
                  changes.add(e.get("id").asLong());
                }
              });
      assertThat(changes).isEqualTo(linked);
      // Each entry starts where the previous one ended: no move was lost or reordered.
      assertThat(history.get(0).get("from").isNull()).isTrue();
      for (int i = 1; i < history.size(); i++) {
        assertThat(history.get(i).get("from").asInt())
            .as("entry %d", i)
            .isEqualTo(history.get(i - 1).get("to").asInt());
      }
      int current = api.get(alias).json().get("version").asInt();
      assertThat(history.get(history.size() - 1).get("to").asInt()).isEqualTo(current);
      assertThat(history.size()).isGreaterThan(threads);
    } finally {
      pool.shutdownNow();
    }
  }

  private String modelWithVersions(int count) {
    String model = uniqueName("alias");
    for (int i = 0; i < count; i++) {
      Response r = api.upload(model, OnnxModels.mlp(200 + i, 8, 4).toByteArray(), null);
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }
    return model;
  }

  private Response move(String alias, int version, String key) {
    return api.as(key).putJson(alias, Map.of("version", version));
  }

  private JsonNode auditEvent(String model, long id) {
    for (JsonNode event :
        api.get("/api/v1/audit?model=" + model + "&size=500").json().get("items")) {
      if (event.get("id").asLong() == id) {
        return event;
      }
    }
    throw new AssertionError("no audit event " + id + " for " + model);
  }

  /** The whole history, oldest first. */
  private List<JsonNode> history(String model, String alias) {
    List<JsonNode> entries = new ArrayList<>();
    int page = 0;
    while (true) {
      JsonNode body =
          api.get("/api/v1/models/" + model + "/aliases/" + alias + "/history?size=50&page=" + page)
              .json();
      body.get("items").forEach(entries::add);
      if (++page >= body.get("totalPages").asInt()) {
        break;
      }
    }
    Collections.reverse(entries);
    return entries;
  }

  private static void assertMove(JsonNode move, Integer from, Integer to, String by) {
    assertThat(move.get("from").isNull() ? null : move.get("from").asInt()).isEqualTo(from);
    assertThat(move.get("to").isNull() ? null : move.get("to").asInt()).isEqualTo(to);
    assertThat(move.get("by").asString()).isEqualTo(by);
  }
}
