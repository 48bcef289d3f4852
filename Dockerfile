# One image for every module: the build stage compiles the whole project with the Maven wrapper, and the run
# stage takes the jar of the module named by MODULE. Needs nothing installed but Docker.
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY test-support/pom.xml test-support/
COPY common/pom.xml common/
COPY contracts/pom.xml contracts/
COPY channel-protocol/pom.xml channel-protocol/
COPY order-service/pom.xml order-service/
COPY inventory-service/pom.xml inventory-service/
COPY payment-service/pom.xml payment-service/
COPY gateway-simulator/pom.xml gateway-simulator/
COPY operator-console/pom.xml operator-console/
COPY flow-tests/pom.xml flow-tests/
COPY system-test/pom.xml system-test/
COPY benchmark/pom.xml benchmark/
COPY . .
RUN ./mvnw -B -ntp -q -DskipTests package -pl order-service,inventory-service,payment-service,gateway-simulator,operator-console -am

FROM eclipse-temurin:21-jre
ARG MODULE
RUN useradd --system --uid 10001 tally && apt-get update -q && apt-get install -y -q --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/${MODULE}/target/${MODULE}-0.1.0-SNAPSHOT-exec.jar app.jar
USER tally
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-jar", "/app/app.jar"]
