/** Operating Modelhub: health indicators, metrics and info for Actuator. */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.ops;
