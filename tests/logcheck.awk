# Reads a test suite's stderr (see tests/testlog.h) and prints it without
# the lines the suite announced; exits 1 when a WARNING, ERROR or "actr: "
# line was not announced. Lines indented under such a line (an error's
# details) go with it.
function announced(line,    i) {
    for (i = 1; i <= n; i++)
        if (index(line, expect[i]))
            return 1
    return 0
}
/^ACTR-TEST-EXPECT / { expect[++n] = substr($0, 18); next }
/^[0-9-]+T[0-9:.]+Z (WARNING|ERROR) |^actr: / {
    if (announced($0)) {
        cont = 2
    } else {
        cont = 1
        bad++
        print
    }
    next
}
/^  / && cont { if (cont == 1) print; next }
{ cont = 0; print }
END {
    if (bad) {
        printf "logcheck: %d WARNING/ERROR line(s) that no test announced (tests/testlog.h)\n", bad
        exit 1
    }
}
