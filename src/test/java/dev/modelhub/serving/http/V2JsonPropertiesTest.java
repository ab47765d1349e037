package dev.modelhub.serving.http;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.hostile.ParserPropertiesTest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The v2 inference codec fed arbitrary bytes, and a real request with bytes mutated or cut short,
 * refuses what it cannot read with a 400 of its own: never another exception, never an error.
 */
class V2JsonPropertiesTest {

  private static final V2Json CODEC =
      new V2Json(
          JsonMapper.builder(
                  JsonFactory.builder()
                      .streamReadConstraints(
                          StreamReadConstraints.builder()
                              .maxNestingDepth(64)
                              .maxNumberLength(100)
                              .build())
                      .build())
              .build(),
          1 << 20);

  private static final byte[] REQUEST =
      ("{\"id\":\"1\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4],"
              + "\"data\":[0.5,1,2,3]},{\"name\":\"mask\",\"datatype\":\"BOOL\",\"shape\":[2],"
              + "\"data\":[true,false]}],\"outputs\":[{\"name\":\"logits\"}]}")
          .getBytes(StandardCharsets.UTF_8);

  @Property(tries = 1000)
  void any_body_is_read_or_refused_with_a_400(@ForAll("bodies") byte[] body) {
    try {
      CODEC.read(new ByteArrayInputStream(body));
    } catch (InvalidRequestException expected) {
      // a 400 saying what is wrong
    }
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    return Arbitraries.oneOf(
        ParserPropertiesTest.randomBytes(),
        ParserPropertiesTest.mutated(REQUEST),
        ParserPropertiesTest.truncated(REQUEST));
  }
}
