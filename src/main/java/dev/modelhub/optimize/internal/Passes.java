package dev.modelhub.optimize.internal;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.optimize.OptimizationReport;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.constraints.AssertTrue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * The passes by name, and their parameters read from JSON: into the pass's record, strictly (an
 * unknown name is refused), then checked by Bean Validation. Stored reports are read back with the
 * parameters typed by their job's pass.
 */
@Component
public final class Passes {

  private final Map<String, PassType<?>> byName = new LinkedHashMap<>();
  private final Map<String, ObjectReader> reports = new LinkedHashMap<>();
  private final JsonMapper json;
  private final Validator validator;

  public Passes() {
    this(JsonMapper.builder().build(), Validation.buildDefaultValidatorFactory().getValidator());
  }

  @Autowired
  public Passes(JsonMapper json, Validator validator) {
    this.json = json;
    this.validator = validator;
    for (PassType<?> pass :
        List.<PassType<?>>of(
            new QuantizeDynamicPass(),
            new QuantizeWeightsPass(),
            new ConvertFp16Pass(),
            new PruneMagnitudePass(),
            new LowRankPass(),
            new Distillation())) {
      byName.put(pass.name(), pass);
      JsonMapper typed =
          json.rebuild()
              .addModule(
                  new SimpleModule(pass.name())
                      .addAbstractTypeMapping(PassParameters.class, pass.parametersType())
                      .addAbstractTypeMapping(PassDetails.class, pass.detailsType()))
              .build();
      reports.put(pass.name(), typed.readerFor(OptimizationReport.class));
    }
  }

  public Optional<PassType<?>> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The graph pass of that name (empty for an unknown name and for distill). */
  public Optional<Pass<?>> graphPass(String name) {
    return find(name).filter(Pass.class::isInstance).map(p -> (Pass<?>) p);
  }

  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  /**
   * Reads and checks {@code params} (null: none given) for {@code pass}.
   *
   * @throws InvalidRequestException an unknown name, a wrong type, a value out of range (400)
   */
  public PassParameters read(PassType<?> pass, JsonNode params) {
    PassParameters parsed;
    try {
      parsed =
          json.readerFor(pass.parametersType())
              .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .readValue(params == null || params.isNull() ? json.createObjectNode() : params);
    } catch (UnrecognizedPropertyException e) {
      Set<String> known = new TreeSet<>();
      e.getKnownPropertyIds().forEach(id -> known.add(id.toString()));
      throw invalid(pass, "unknown parameter '" + e.getPropertyName() + "'; it takes " + known);
    } catch (JacksonException e) {
      String field =
          e.getPath().isEmpty() ? "params" : "'" + e.getPath().get(0).getPropertyName() + "'";
      throw invalid(pass, field + " cannot be read: " + e.getOriginalMessage());
    }
    Set<ConstraintViolation<PassParameters>> violations = validator.validate(parsed);
    if (!violations.isEmpty()) {
      throw invalid(
          pass,
          violations.stream().map(Passes::describe).sorted().collect(Collectors.joining("; ")));
    }
    return parsed;
  }

  /** Parameters as JSON text, defaults filled in (for logs and the audit trail). */
  public String json(PassParameters params) {
    return json.writeValueAsString(params);
  }

  /** Parameters stored by this release, for a job of {@code pass}. */
  public PassParameters stored(PassType<?> pass, JsonNode params) {
    return json.treeToValue(params, pass.parametersType());
  }

  /** A stored report of a job of {@code pass}. */
  public OptimizationReport storedReport(PassType<?> pass, JsonNode report) {
    return reports.get(pass.name()).readValue(report);
  }

  private static String describe(ConstraintViolation<?> violation) {
    if (violation.getConstraintDescriptor().getAnnotation() instanceof AssertTrue) {
      return violation.getMessage(); // a rule across parameters names them itself
    }
    String property = violation.getPropertyPath().toString().replace(".<list element>", "");
    Object value = violation.getInvalidValue();
    return "'"
        + property
        + "' "
        + violation.getMessage()
        + ", not "
        + (value instanceof String text ? "'" + text + "'" : value);
  }

  private static InvalidRequestException invalid(PassType<?> pass, String why) {
    return new InvalidRequestException(
        "invalid-pass-params", "Invalid pass parameters", pass.name() + ": " + why + ".");
  }
}
