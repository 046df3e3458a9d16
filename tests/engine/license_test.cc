// License detection (src/engine/license.h): SPDX tags and license headers.
#include "src/engine/license.h"

#include <catch2/catch.hpp>
#include <string>

namespace slurp::engine {
namespace {

TEST_CASE("SPDX tags give their expression", "[license]") {
  CHECK(detect_license("// SPDX-License-Identifier: MIT\nint x;\n") == "MIT");
  CHECK(detect_license("/* SPDX-License-Identifier: GPL-2.0-only */\n") ==
        "GPL-2.0-only");
  CHECK(detect_license("# SPDX-License-Identifier: Apache-2.0 OR MIT\n") ==
        "Apache-2.0 OR MIT");
  CHECK(detect_license("<!-- SPDX-License-Identifier: CC-BY-4.0 -->\n") ==
        "CC-BY-4.0");
  CHECK(detect_license("SPDX-License-Identifier: (LGPL-2.1+ WITH "
                       "Linux-syscall-note)\n") ==
        "(LGPL-2.1+ WITH Linux-syscall-note)");
}

TEST_CASE("license headers wrapped in comments are recognised", "[license]") {
  CHECK(detect_license(
            "/*\n * Licensed under the Apache License, Version 2.0 (the\n"
            " * \"License\"); you may not use this file except ...\n */\n") ==
        "Apache-2.0");
  CHECK(detect_license("# Permission is hereby granted, free of charge, to "
                       "any person\n# obtaining a copy\n") == "MIT");
  CHECK(
      detect_license(
          "//    This program is free software: you can redistribute it\n"
          "//    under the terms of the GNU General Public License as\n"
          "//    published by the Free Software Foundation, either\n"
          "//    version 3 of the License, or (at your option) any later\n") ==
      "GPL-3.0-or-later");
  CHECK(detect_license(
            " * Redistribution and use in source and binary forms, with or\n"
            " * without modification, are permitted ...\n"
            " * 3. Neither the name of the copyright holder nor ...\n") ==
        "BSD-3-Clause");
  CHECK(detect_license("    This Source Code Form is subject to the terms of "
                       "the Mozilla Public License, v. 2.0.\n") == "MPL-2.0");
}

TEST_CASE("no license, or one past the scanned head, gives nothing",
          "[license]") {
  CHECK_FALSE(detect_license("int main() { return 0; }\n"));
  CHECK_FALSE(detect_license(""));
  CHECK_FALSE(detect_license("SPDX-License-Identifier: \n"));
  std::string late(license_scan_bytes_max, ' ');
  late += "// SPDX-License-Identifier: MIT\n";
  CHECK_FALSE(detect_license(late));
}

}  // namespace
}  // namespace slurp::engine
