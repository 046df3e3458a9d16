# slurp on Debian 12, built with the same packages and script as CI.
FROM debian:12
WORKDIR /opt/slurp
COPY . .
RUN ./tools/setup && \
    cmake -S . -B build -G Ninja && \
    cmake --build build --target slurpd slurpctl && \
    install -m 0755 build/bin/slurpd build/bin/slurpctl /usr/local/bin/
ENTRYPOINT ["slurpd"]
