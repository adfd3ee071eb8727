namespace Vigil.Cli;

public static class Usage
{
    public const string Text = """
        vigil: hunt for intrusions in security logs with Sigma rules

        usage:
          vigil hunt INPUT... [--rules PATH]... [--no-builtin] [--format jsonl|csv|table]
                              [--output FILE] [--campaigns FILE] [--report FILE] [--threads N] [--quiet] [--verbose]
                              [--mapping FILE] [--placeholder NAME=VALUE] [SELECTION...]
          vigil dump INPUT... [--format jsonl] [--output FILE] [--threads N] [--quiet] [--verbose]
          vigil rules check PATH... [--format json|text] [--mapping FILE] [--placeholder NAME=VALUE]
          vigil rules list [--no-builtin] [--rules PATH]... [--mapping FILE] [--placeholder NAME=VALUE] [SELECTION...]
          vigil simulate --out DIR [--scenario human|machine|cloud|benign] [--format jsonl|evtx] [--events N] [--seed S]
          vigil metrics INPUT... [--by eventid|computer|channel] [--format table|csv|json] [--output FILE] [--threads N]
          vigil logons INPUT... [--format table|csv|json] [--output FILE] [--threads N]

        SELECTION (repeatable; kinds AND-ed, values OR-ed, exclusions win; correlations still run the rules they need):
          --min-level L  --status S  --include-id ID  --exclude-id ID  --include-tag TAG  --exclude-tag TAG
          (tags match case-insensitively and by prefix: attack.t1003 matches attack.t1003.001)
        --mapping FILE: extra field mapping for JSON shapes (layout of the built-in fieldmaps.yml)
        --placeholder NAME=VALUE: a value for a Sigma expand placeholder (%NAME%), repeatable
        --no-rule-cache (hunt, rules): parse every rule file again instead of reusing the parse cache (hunt: and build the matcher again)
          ($VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil; VIGIL_NO_RULE_CACHE=1 turns it off)
        hunt side outputs (any together, beside the main output): --timeline FILE.csv (CSV timeline for Timeline
          Explorer and spreadsheets), --timesketch FILE.jsonl (Timesketch import), --sqlite FILE.db (SQLite database)
        --report-rows-per-rule N (default 10000), --report-max-rows N (default 200000): detections the HTML report embeds,
          the earliest of each rule, besides every one its campaigns name; --report-max-campaigns N (default 1000): the
          highest-ranked campaigns it embeds; 0 embeds everything

        INPUT is a file or a folder (searched recursively). Formats are told apart by content:
        Windows .evtx, JSON lines / JSON arrays (optionally .gz).

        exit codes: 0 done (detections are not errors), 1 usage error, 2 nothing could be read

        """;

    public static int Fail(CliConsole console, string message)
    {
        console.Error.WriteLine($"vigil: {message}");
        console.Error.WriteLine("run 'vigil --help' for usage");
        return ExitCodes.Usage;
    }
}
