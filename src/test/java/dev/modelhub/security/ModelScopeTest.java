package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelScopeTest {

  @Test
  void patterns_match_whole_names_with_star_for_any_characters() {
    ModelScope scope = new ModelScope(List.of("vision-*", "fraud-scorer"));
    assertThat(scope.allows("vision-cat")).isTrue();
    assertThat(scope.allows("vision-")).isTrue();
    assertThat(scope.allows("fraud-scorer")).isTrue();
    assertThat(scope.allows("fraud-scorer-2")).isFalse();
    assertThat(scope.allows("my-vision-cat")).isFalse();
    assertThat(scope.allows(null)).isFalse();
  }

  @Test
  void dots_and_other_characters_are_literal_not_regular_expression_syntax() {
    ModelScope scope = new ModelScope(List.of("a.b"));
    assertThat(scope.allows("a.b")).isTrue();
    assertThat(scope.allows("axb")).isFalse();
    assertThat(scope.regex()).isEqualTo("^(a\\.b)$");
  }

  @Test
  void no_patterns_means_every_model() {
    assertThat(ModelScope.ALL.allows("anything")).isTrue();
    assertThat(ModelScope.ALL.unrestricted()).isTrue();
  }
}
