# slurp on Debian 12: the packages tools/setup installs (the list CI uses),
# the programs built with them and installed on PATH. docker-compose.yml
# runs this one image as nodes, workers, the monitor and the key setup.
FROM debian:12
WORKDIR /opt/slurp
COPY . .
# Built in /opt/build, outside the copied tree, so that a host build/
# directory that came along cannot confuse CMake.
# curl: the compose healthchecks ask /readyz and /healthz.
RUN ./tools/setup && \
    apt-get install -y -q --no-install-recommends curl && \
    rm -rf /var/lib/apt/lists/* && \
    cmake -S . -B /opt/build -G Ninja && \
    targets="slurpd slurpctl slurp-monitor slurp-worker" && \
    cmake --build /opt/build --target $targets && \
    for t in $targets; do install -m 0755 "/opt/build/bin/$t" /usr/local/bin/; done
CMD ["slurpd", "--help"]
