package dev.modelhub.serving.http;

import dev.modelhub.format.Datatype;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.TensorData;
import java.util.Arrays;

/**
 * Tensor elements read from JSON before the datatype is known. They are kept as longs while every
 * one is a whole number exactly representable as a long and a double, and as doubles from the first
 * one that is not — one array of eight bytes per element, never two. {@link #toData} turns them
 * into the array the datatype needs, refusing what does not fit.
 */
final class NumberBuffer {

  private static final double EXACT = 0x1p53;

  private final long maxElements;
  private long[] longs = new long[64];
  private double[] doubles;
  private boolean allIntegral = true;
  private boolean hugeIntegral;
  private boolean sawBoolean;
  private boolean sawNumber;
  private boolean unsignedHuge;
  private boolean sawNegative;
  private String[] strings;
  private long stringWeight;
  private int size;
  private String problem;

  void addLong(long value) {
    if (strings != null) {
      reject("strings mixed with numbers");
      return;
    }
    sawNegative |= value < 0;
    grow();
    if (doubles != null) {
      doubles[size] = value;
    } else {
      longs[size] = value;
    }
    size++;
    sawNumber = true;
  }

  void addDouble(double value) {
    if (strings != null) {
      reject("strings mixed with numbers");
      return;
    }
    boolean integral = value == Math.rint(value) && !Double.isInfinite(value);
    if (!integral) {
      allIntegral = false;
    } else if (Math.abs(value) >= EXACT) {
      hugeIntegral = true;
    }
    if (doubles == null && (!integral || Math.abs(value) >= EXACT)) {
      switchToDoubles();
    }
    grow();
    if (doubles != null) {
      doubles[size] = value;
    } else {
      longs[size] = (long) value;
    }
    size++;
    sawNumber = true;
  }

  private void switchToDoubles() {
    doubles = new double[longs.length];
    for (int i = 0; i < size; i++) {
      doubles[i] = longs[i];
    }
    longs = null;
  }

  void addBoolean(boolean value) {
    addLong(value ? 1 : 0);
    sawBoolean = true;
  }

  /** Adds a whole number in [2^63, 2^64) as its two's complement bits: only UINT64 can take it. */
  void addUnsignedHuge(long bits) {
    boolean negativeBefore = sawNegative;
    addLong(bits);
    sawNegative = negativeBefore; // its bits read as a long are negative; the number is not
    unsignedHuge = true;
  }

  /** Adds a string (a BYTES element); a tensor holds strings or numbers, not both. */
  void addString(String value) {
    if (sawNumber) {
      reject("strings mixed with numbers");
      return;
    }
    // A string costs its bytes and an object's overhead: weighed in 8-byte elements, so that a
    // request of strings is bounded in memory like one of numbers.
    stringWeight += 6 + (value.length() * 3L + 7) / 8;
    if (size >= maxElements || stringWeight > maxElements) {
      throw ServingExceptions.invalidInput(
          "An input holds more text than "
              + maxElements
              + " elements' worth (modelhub.serving.max-tensor-elements).");
    }
    if (strings == null) {
      strings = new String[64];
    } else if (size == strings.length) {
      strings =
          Arrays.copyOf(
              strings,
              (int) Math.min((long) size * 2, Math.min(maxElements, Integer.MAX_VALUE - 8)));
    }
    strings[size++] = value;
  }

  int size() {
    return size;
  }

  /**
   * Notes data that no datatype can take (strings, objects, huge integers). The input's name may
   * come after its data in the JSON, so the error is raised by {@link #toData}, which knows it.
   */
  void reject(String what) {
    if (problem == null) {
      problem = what;
    }
  }

  private double[] asDoubles() {
    if (doubles != null) {
      return Arrays.copyOf(doubles, size);
    }
    double[] values = new double[size];
    for (int i = 0; i < size; i++) {
      values[i] = longs[i];
    }
    return values;
  }

  private long[] asLongs(String name, Datatype datatype) {
    if (doubles == null) {
      return Arrays.copyOf(longs, size);
    }
    if (hugeIntegral) {
      throw ServingExceptions.invalidInput(
          "Input '" + name + "' holds a number outside the range of " + datatype + ".");
    }
    long[] values = new long[size];
    for (int i = 0; i < size; i++) {
      values[i] = (long) doubles[i];
    }
    return values;
  }

  /** The elements as {@code datatype} holds them; refuses what does not fit it. */
  TensorData toData(String name, Datatype datatype) {
    if (problem != null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' holds " + problem + ".");
    }
    if (strings != null && datatype.kind() != Datatype.Kind.BYTES) {
      throw mismatch(name, datatype, "strings");
    }
    if (unsignedHuge && datatype != Datatype.UINT64) {
      throw ServingExceptions.invalidInput(
          "Input '" + name + "' holds a number outside the range of " + datatype + ".");
    }
    return switch (datatype.kind()) {
      case REAL -> {
        if (sawBoolean) {
          throw mismatch(name, datatype, "true/false");
        }
        yield new TensorData.Reals(asDoubles());
      }
      case BOOLEAN -> {
        if (!allIntegral) {
          throw mismatch(name, datatype, "numbers other than 0 and 1");
        }
        long[] numbers = asLongs(name, datatype);
        boolean[] values = new boolean[size];
        for (int i = 0; i < size; i++) {
          if (numbers[i] != 0 && numbers[i] != 1) {
            throw mismatch(name, datatype, "numbers other than 0 and 1");
          }
          values[i] = numbers[i] == 1;
        }
        yield new TensorData.Booleans(values);
      }
      case INTEGER -> {
        if (!allIntegral) {
          throw mismatch(name, datatype, "non-integer numbers");
        }
        if (sawBoolean) {
          throw mismatch(name, datatype, "true/false");
        }
        long[] values = asLongs(name, datatype);
        if (!unsignedHuge) {
          checkRange(name, datatype, values);
        } else if (sawNegative) {
          throw ServingExceptions.invalidInput(
              "Input '"
                  + name
                  + "' holds a negative number, outside the range of "
                  + datatype
                  + ".");
        }
        yield new TensorData.Integers(values);
      }
      case BYTES -> {
        if (sawNumber) {
          throw mismatch(name, datatype, "numbers or true/false, not strings");
        }
        yield new TensorData.Strings(
            strings == null ? new String[0] : Arrays.copyOf(strings, size));
      }
      case NONE ->
          throw ServingExceptions.invalidInput(
              "Input '" + name + "' has datatype " + datatype + ", which requests cannot carry.");
    };
  }

  private static void checkRange(String name, Datatype datatype, long[] values) {
    long min = datatype.minWhole();
    long max = datatype.maxWhole();
    for (long v : values) {
      if (v < min || v > max) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' holds " + v + ", outside the range of " + datatype + ".");
      }
    }
  }

  private static RuntimeException mismatch(String name, Datatype datatype, String what) {
    return ServingExceptions.invalidInput(
        "Input '" + name + "' is " + datatype + " but its data holds " + what + ".");
  }

  boolean isEmpty() {
    return !sawNumber && strings == null;
  }

  /** A buffer that refuses to hold more than {@code maxElements} numbers. */
  NumberBuffer(long maxElements) {
    this.maxElements = maxElements;
  }

  private void grow() {
    if (size >= maxElements) {
      throw ServingExceptions.invalidInput(
          "An input holds more than "
              + maxElements
              + " numbers (modelhub.serving.max-tensor-elements).");
    }
    int capacity = doubles != null ? doubles.length : longs.length;
    if (size == capacity) {
      int larger = (int) Math.min((long) size * 2, Math.min(maxElements, Integer.MAX_VALUE - 8));
      if (doubles != null) {
        doubles = Arrays.copyOf(doubles, larger);
      } else {
        longs = Arrays.copyOf(longs, larger);
      }
    }
  }
}
