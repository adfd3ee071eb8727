using System.Text.Json;

namespace Vigil.Tests.Cli;

public class RulesCommandTests
{
    private static string CdcRule => Path.Combine(TestPaths.Shared, "data", "sigma", "rules-emerging-threats", "2026", "Exploits",
        "CVE-2026-54121", "win_security_adcs_certighost_cdc_chase_request.yml");

    [Fact]
    public void A_broken_rule_is_reported_with_file_and_line_and_exits_non_zero_while_good_ones_load()
    {
        var dir = CliRunner.TempDir("rules-check");
        File.WriteAllText(Path.Combine(dir, "good.yml"), """
            title: Good
            id: 5f1c0b5e-7d0a-4a52-9d6e-6a7f0e0b9c11
            logsource: { product: windows, category: process_creation }
            detection:
              sel: { Image|endswith: '\whoami.exe' }
              condition: sel
            level: low
            """);
        File.WriteAllText(Path.Combine(dir, "bad.yml"), """
            title: Bad
            id: 0b7f2a8c-8e43-4f0e-9d8b-2f6a2c3d4e5f
            logsource: { product: windows, category: process_creation }
            detection:
              sel:
                CommandLine|containz: 'x'
              condition: sel
            level: low
            """);
        var r = CliRunner.Run("rules", "check", dir, "--format", "json");
        Assert.NotEqual(0, r.ExitCode);
        var root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(1, root.GetProperty("loaded").GetInt32());
        Assert.Equal(1, root.GetProperty("failed").GetInt32());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray());
        Assert.EndsWith("bad.yml", error.GetProperty("file").GetString());
        Assert.Equal(6, error.GetProperty("line").GetInt32());
        Assert.Contains("containz", error.GetProperty("message").GetString());
    }

    [Fact]
    public void A_placeholder_value_given_on_the_command_line_clears_the_warning()
    {
        var without = JsonDocument.Parse(CliRunner.Run("rules", "check", CdcRule).Out).RootElement;
        Assert.Equal(1, without.GetProperty("warnings").GetInt32());
        var r = CliRunner.Run("rules", "check", CdcRule, "--placeholder", "known_cdcs=CDC01$");
        Assert.Equal(0, r.ExitCode);
        var with = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(0, with.GetProperty("warnings").GetInt32());
        Assert.Equal(1, with.GetProperty("loaded").GetInt32());
    }

    [Fact]
    public void A_placeholder_without_a_value_is_a_usage_error()
    {
        Assert.Equal(1, CliRunner.Run("rules", "check", CdcRule, "--placeholder", "known_cdcs").ExitCode);
    }
}
