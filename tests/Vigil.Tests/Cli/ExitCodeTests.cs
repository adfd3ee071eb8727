namespace Vigil.Tests.Cli;

/// <summary>The contract's exit codes: 0 done, 1 usage error, 2 nothing could be read.</summary>
public class ExitCodeTests
{
    [Fact]
    public void No_arguments_is_a_usage_error()
    {
        var r = CliRunner.Run();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("vigil hunt", r.Out);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("hunt", "--no-such-option", "x")]
    [InlineData("dump", "--format", "xml", "x")]
    [InlineData("simulate")]
    [InlineData("rules")]
    [InlineData("hunt", "--min-level", "severe", "x")]
    public void Bad_usage_exits_1_with_a_message(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("vigil: ", r.Error);
    }

    /// <summary>A full disk is told apart from other I/O errors (the CLI then says where temporary files go instead of
    /// printing a stack trace): writing to /dev/full fails as a full disk does.</summary>
    [Fact]
    public void A_full_disk_is_recognised()
    {
        if (!OperatingSystem.IsLinux()) return;
        var full = Assert.ThrowsAny<IOException>(() =>
        {
            using var f = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            f.Write(new byte[4096]);
            f.Flush();
        });
        Assert.True(Vigil.Cli.Program.IsDiskFull(full), $"{full.HResult}: {full.Message}");
        var missing = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(Path.Combine(CliRunner.TempDir("no-disk-full"), "missing")));
        Assert.False(Vigil.Cli.Program.IsDiskFull(missing), $"{missing.HResult}: {missing.Message}");
    }

    /// <summary>An output path under a regular file cannot be created: every output says so, naming the path, and
    /// exits 1 without a stack trace or a half-written file.</summary>
    [Theory]
    [InlineData("--output")]
    [InlineData("--campaigns")]
    [InlineData("--report")]
    [InlineData("--sqlite")]
    [InlineData("--timeline")]
    [InlineData("--timesketch")]
    public void An_output_that_cannot_be_written_exits_1_naming_it(string option)
    {
        var dir = CliRunner.TempDir("unwritable-" + option.TrimStart('-'));
        var notAFolder = Path.Combine(dir, "plain-file");
        File.WriteAllText(notAFolder, "x");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"EventID\": 1, \"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"Image\": \"C:\\\\x.exe\"}\n");
        var target = Path.Combine(notAFolder, "out.file");
        string[] args = option == "--output"
            ? ["hunt", input, "--format", "jsonl", "--output", target]
            : ["hunt", input, "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"), option, target];
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("vigil: cannot write " + target, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.Equal(new[] { "in.jsonl", "plain-file" }, Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order().ToList());
    }

    [Fact]
    public void When_a_later_output_cannot_be_written_the_earlier_ones_leave_nothing_behind()
    {
        var dir = CliRunner.TempDir("unwritable-later");
        var notAFolder = Path.Combine(dir, "plain-file");
        File.WriteAllText(notAFolder, "x");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"EventID\": 1}\n");
        var r = CliRunner.Run("hunt", input, "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"),
            "--campaigns", Path.Combine(dir, "c.json"), "--timeline", Path.Combine(dir, "t.csv"), "--report", Path.Combine(notAFolder, "r.html"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cannot write", r.Error);
        Assert.Equal(new[] { "in.jsonl", "plain-file" }, Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order().ToList());
    }

    [Fact]
    public void Simulate_into_a_folder_that_cannot_be_made_exits_1_naming_it()
    {
        var notAFolder = Path.Combine(CliRunner.TempDir("unwritable-simulate"), "plain-file");
        File.WriteAllText(notAFolder, "x");
        var target = Path.Combine(notAFolder, "demo");
        var r = CliRunner.Run("simulate", "--out", target, "--events", "100");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("vigil: cannot write " + target, r.Error);
    }

    [Fact]
    public void Missing_input_exits_2_naming_it()
    {
        var missing = Path.Combine(CliRunner.TempDir("missing"), "nope.evtx");
        var r = CliRunner.Run("dump", missing);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(missing, r.Error);
        Assert.Contains("no such file", r.Error);
    }

    [Fact]
    public void Random_bytes_exit_2_naming_the_file()
    {
        var dir = CliRunner.TempDir("random");
        var path = Path.Combine(dir, "garbage.bin");
        var bytes = new byte[10000];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0x00; // not '{', '[', gzip or ElfFile
        File.WriteAllBytes(path, bytes);
        var r = CliRunner.Run("hunt", path, "--format", "jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(path, r.Error);
        Assert.Equal("", r.Out);
    }

    /// <summary>A folder holding only logs that cannot be read exits 2, and says which files were skipped and why even
    /// without --verbose (other files, a README, are not named).</summary>
    [Fact]
    public void A_folder_of_unreadable_logs_exits_2_naming_them()
    {
        var dir = CliRunner.TempDir("unreadable-folder");
        File.WriteAllBytes(Path.Combine(dir, "empty.json"), []);
        File.WriteAllText(Path.Combine(dir, "README.txt"), "case notes");
        var r = CliRunner.Run("hunt", dir, "--format", "jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"vigil: note: {Path.Combine(dir, "empty.json")}: offset 0x0: skipped: file is empty", r.Error);
        Assert.DoesNotContain("README", r.Error);
        Assert.Contains("nothing could be read", r.Error);
    }

    [Fact]
    public void Empty_file_named_explicitly_exits_2()
    {
        var path = Path.Combine(CliRunner.TempDir("empty"), "empty.evtx");
        File.WriteAllBytes(path, []);
        var r = CliRunner.Run("dump", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("empty", r.Error);
    }

    [Fact]
    public void Hunt_without_any_rules_is_a_usage_error()
    {
        var r = CliRunner.Run("hunt", "--no-builtin", TestPaths.Shared);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nothing to hunt with", r.Error);
    }

    [Fact]
    public void Campaigns_and_report_are_built_and_write_their_files()
    {
        // Both flags parse; a missing input is what stops the hunt (exit 2, nothing could be read).
        var dir = CliRunner.TempDir("exit-campaigns");
        var missing = CliRunner.Run("hunt", Path.Combine(dir, "x"), "--campaigns", Path.Combine(dir, "c.json"), "--report", Path.Combine(dir, "r.html"));
        Assert.Equal(2, missing.ExitCode);
        Assert.DoesNotContain("not available", missing.Error);
        var input = Path.Combine(dir, "e.jsonl");
        File.WriteAllText(input, "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"WS1\",\"TimeCreated\":\"2026-03-10T10:00:00Z\",\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\",\"CommandLine\":\"whoami\"}\n");
        var ok = CliRunner.Run("hunt", input, "--campaigns", Path.Combine(dir, "c.json"), "--report", Path.Combine(dir, "r.html"),
            "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"));
        Assert.Equal(0, ok.ExitCode);
        Assert.StartsWith("{", File.ReadAllText(Path.Combine(dir, "c.json")));
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(Path.Combine(dir, "r.html")));
    }
}
