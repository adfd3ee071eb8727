using System.Text;
using Vigil.Rules;
using static Vigil.Tests.Rules.RuleTestHelper;

namespace Vigil.Tests.Rules;

/// <summary>Field semantics and every value modifier, each with matching and non-matching events.</summary>
public class ModifierTests
{
    [Fact]
    public void MapIsAndListIsOr()
    {
        var r = Rule("selection:\n    Image: 'C:\\a.exe'\n    User:\n        - alice\n        - bob\ncondition: selection");
        Assert.True(r.Matches(Ev(("Image", "C:\\a.exe"), ("User", "bob"))));
        Assert.True(r.Matches(Ev(("Image", "c:\\A.EXE"), ("User", "ALICE"))));
        Assert.False(r.Matches(Ev(("Image", "C:\\a.exe"), ("User", "carol"))));
        Assert.False(r.Matches(Ev(("User", "alice"))));
    }

    [Fact]
    public void ListOfMapsIsOr()
    {
        var r = Rule("selection:\n    - Image|endswith: '\\x.exe'\n    - Description|contains: 'Test exe'\ncondition: selection");
        Assert.True(r.Matches(Ev(("Image", "C:\\x.exe"))));
        Assert.True(r.Matches(Ev(("Description", "a test executable"))));
        Assert.False(r.Matches(Ev(("Image", "C:\\y.exe"), ("Description", "other"))));
    }

    [Fact]
    public void KeywordsMatchAnyFieldText()
    {
        var r = Rule("keywords:\n    - 'event::clear'\n    - 'event::drop'\ncondition: keywords");
        Assert.True(r.Matches(Ev(("A", "x"), ("CommandLine", "mimikatz EVENT::Clear now"))));
        Assert.True(r.Matches(Ev(("Payload", Utf16("run event::drop")))));
        Assert.False(r.Matches(Ev(("CommandLine", "event:: clear"))));
        var all = Rule("keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords");
        Assert.True(all.Matches(Ev(("A", "Set-OabVirtualDirectory"), ("B", "x -ExternalUrl http"))));
        Assert.False(all.Matches(Ev(("A", "Set-OabVirtualDirectory"))));
    }

    [Fact]
    public void KeywordsMatchNumbersAsText()
    {
        var r = Rule("keywords:\n    - '4688'\ncondition: keywords");
        Assert.True(r.Matches(Ev(("EventID", 4688L))));
        Assert.False(r.Matches(Ev(("EventID", 4689L))));
    }

    [Fact]
    public void NullMeansAbsentNullOrEmpty()
    {
        var r = Rule("selection:\n    PasswordLastSet: null\ncondition: selection");
        Assert.True(r.Matches(Ev(("Other", "x"))));                 // absent
        Assert.True(r.Matches(Ev(("PasswordLastSet", null))));       // present, null
        Assert.True(r.Matches(Ev(("PasswordLastSet", ""))));         // present, empty
        Assert.False(r.Matches(Ev(("PasswordLastSet", "-"))));
        Assert.False(r.Matches(Ev(("PasswordLastSet", 0L))));
    }

    [Fact]
    public void EmptyStringNeedsAPresentEmptyField()
    {
        var r = Rule("selection:\n    FieldB: ''\ncondition: selection");
        Assert.True(r.Matches(Ev(("FieldB", ""))));
        Assert.True(r.Matches(Ev(("FieldB", Utf16("")))));
        Assert.False(r.Matches(Ev(("Other", ""))));
        Assert.False(r.Matches(Ev(("FieldB", "x"))));
    }

    [Fact]
    public void ExistsDistinguishesPresentFromAbsent()
    {
        var yes = Rule("selection:\n    PasswordLastSet|exists: true\ncondition: selection");
        var no = Rule("selection:\n    PasswordLastSet|exists: false\ncondition: selection");
        Assert.True(yes.Matches(Ev(("PasswordLastSet", null))));     // present even though null
        Assert.True(yes.Matches(Ev(("PasswordLastSet", ""))));
        Assert.False(yes.Matches(Ev(("Other", "x"))));
        Assert.True(no.Matches(Ev(("Other", "x"))));
        Assert.False(no.Matches(Ev(("PasswordLastSet", "x"))));
    }

    [Fact]
    public void WildcardsAndEscapes()
    {
        var star = Rule("selection:\n    Image: 'C:\\\\*\\cmd.exe'\ncondition: selection");
        Assert.True(star.Matches(Ev(("Image", "C:\\Windows\\System32\\cmd.exe"))));
        Assert.False(star.Matches(Ev(("Image", "D:\\Windows\\cmd.exe"))));
        var q = Rule("selection:\n    Image: 'prog?.exe'\ncondition: selection");
        Assert.True(q.Matches(Ev(("Image", "progA.exe"))));
        Assert.False(q.Matches(Ev(("Image", "prog.exe"))));
        Assert.False(q.Matches(Ev(("Image", "progAB.exe"))));
        // \* and \? are literal characters
        var lit = Rule("selection:\n    Value: 'a\\*b\\?'\ncondition: selection");
        Assert.True(lit.Matches(Ev(("Value", "a*b?"))));
        Assert.False(lit.Matches(Ev(("Value", "axxbc"))));
        // \\* is a backslash followed by a wildcard
        var bs = Rule("selection:\n    Value: 'dir\\\\*'\ncondition: selection");
        Assert.True(bs.Matches(Ev(("Value", "dir\\anything"))));
        Assert.False(bs.Matches(Ev(("Value", "dir*"))));
        // \\\* is a backslash and a literal star; \\\\ is a double backslash
        var both = Rule("selection:\n    Value: 'x\\\\\\*'\ncondition: selection");
        Assert.True(both.Matches(Ev(("Value", "x\\*"))));
        Assert.False(both.Matches(Ev(("Value", "x\\abc"))));
        var dbl = Rule("selection:\n    Value: '\\\\\\\\server'\ncondition: selection");
        Assert.True(dbl.Matches(Ev(("Value", "\\\\server"))));
        Assert.False(dbl.Matches(Ev(("Value", "\\server"))));
        // A plain single backslash stays a backslash
        var single = Rule("selection:\n    Value: 'C:\\Temp'\ncondition: selection");
        Assert.True(single.Matches(Ev(("Value", "c:\\temp"))));
        // Multi-star patterns with backtracking
        var multi = Rule("selection:\n    CommandLine: '*a*b*c'\ncondition: selection");
        Assert.True(multi.Matches(Ev(("CommandLine", "xxaxxbxxbcxxc"))));
        Assert.False(multi.Matches(Ev(("CommandLine", "xxcxxbxxa"))));
    }

    [Fact]
    public void ContainsOnValueEndingInBackslash()
    {
        var r = Rule("selection:\n    TargetObject|contains: '\\Control\\Print\\Monitors\\'\ncondition: selection");
        Assert.True(r.Matches(Ev(("TargetObject", "HKLM\\System\\CurrentControlSet\\Control\\Print\\Monitors\\X\\Driver"))));
        Assert.False(r.Matches(Ev(("TargetObject", "HKLM\\Control\\Print\\Monitor"))));
    }

    [Fact]
    public void CaseInsensitiveByDefaultCasedWhenAsked()
    {
        var ci = Rule("selection:\n    Name|contains: 'Mimikatz'\ncondition: selection");
        Assert.True(ci.Matches(Ev(("Name", "run MIMIKATZ"))));
        var cs = Rule("selection:\n    Name|cased|contains: 'Mimikatz'\ncondition: selection");
        Assert.True(cs.Matches(Ev(("Name", "run Mimikatz"))));
        Assert.False(cs.Matches(Ev(("Name", "run MIMIKATZ"))));
        var csExact = Rule("selection:\n    Name|cased: 'Abc'\ncondition: selection");
        Assert.True(csExact.Matches(Ev(("Name", "Abc"))));
        Assert.False(csExact.Matches(Ev(("Name", "abc"))));
    }

    [Fact]
    public void NumbersCompareWithIntsAndStrings()
    {
        var r = Rule("selection:\n    EventID: 4688\ncondition: selection");
        Assert.True(r.Matches(Ev(("EventID", 4688L))));
        Assert.True(r.Matches(Ev(("EventID", "4688"))));
        Assert.True(r.Matches(Ev(("EventID", Utf16("4688")))));
        Assert.True(r.Matches(Ev(("EventID", 4688UL))));
        Assert.False(r.Matches(Ev(("EventID", 4689L))));
        Assert.False(r.Matches(Ev(("EventID", "46880"))));
        var list = Rule("selection:\n    EventID:\n        - 517\n        - 1102\ncondition: selection");
        Assert.True(list.Matches(Ev(("EventID", 1102L))));
        Assert.False(list.Matches(Ev(("EventID", 4688L))));
        var hex = Rule("selection:\n    TicketEncryption: '0x17'\ncondition: selection");
        Assert.True(hex.Matches(Ev(("TicketEncryption", "0x17"))));
        Assert.True(hex.Matches(Ev(("TicketEncryption", 23L))));
        Assert.True(hex.Matches(Ev(("TicketEncryption", Vigil.Events.FieldValue.FromInt64(0x17, hex: true)))));
        Assert.False(hex.Matches(Ev(("TicketEncryption", 0x12L))));
        var quoted = Rule("selection:\n    Status: '0'\ncondition: selection");
        Assert.True(quoted.Matches(Ev(("Status", 0L))));
        var boolean = Rule("selection:\n    Signed: true\ncondition: selection");
        Assert.True(boolean.Matches(Ev(("Signed", true))));
        Assert.True(boolean.Matches(Ev(("Signed", "true"))));
        Assert.False(boolean.Matches(Ev(("Signed", false))));
    }

    [Fact]
    public void StartsEndsContainsAndAll()
    {
        var s = Rule("selection:\n    CommandLine|startswith: 'powershell'\ncondition: selection");
        Assert.True(s.Matches(Ev(("CommandLine", "PowerShell -enc"))));
        Assert.False(s.Matches(Ev(("CommandLine", "cmd /c powershell"))));
        var e = Rule("selection:\n    Image|endswith: '\\cmd.exe'\ncondition: selection");
        Assert.True(e.Matches(Ev(("Image", "C:\\Windows\\cmd.exe"))));
        Assert.False(e.Matches(Ev(("Image", "C:\\Windows\\cmd.exe.bak"))));
        var all = Rule("selection:\n    CommandLine|contains|all:\n        - ' -w hidden'\n        - ' -enc'\ncondition: selection");
        Assert.True(all.Matches(Ev(("CommandLine", "powershell -enc AAA -w hidden"))));
        Assert.False(all.Matches(Ev(("CommandLine", "powershell -enc AAA"))));
        var any = Rule("selection:\n    CommandLine|contains:\n        - ' -w hidden'\n        - ' -enc'\ncondition: selection");
        Assert.True(any.Matches(Ev(("CommandLine", "powershell -enc AAA"))));
        Assert.False(any.Matches(Ev(("CommandLine", "powershell -nop"))));
    }

    [Fact]
    public void RepeatedFieldMatchesAnyValue()
    {
        var r = Rule("selection:\n    Data|contains: 'evil'\ncondition: selection");
        Assert.True(r.Matches(Ev(("Data", "good"), ("Data", "so evil"))));
        Assert.False(r.Matches(Ev(("Data", "good"), ("Data", "fine"))));
    }

    [Fact]
    public void RegexWithFlags()
    {
        var r = Rule("selection:\n    CommandLine|re: 'net\\s+user'\ncondition: selection");
        Assert.True(r.Matches(Ev(("CommandLine", "net  user admin"))));
        Assert.False(r.Matches(Ev(("CommandLine", "NET USER admin"))));      // case-sensitive by default
        var i = Rule("selection:\n    CommandLine|re|i: 'net\\s+user'\ncondition: selection");
        Assert.True(i.Matches(Ev(("CommandLine", "NET USER admin"))));
        var m = Rule("selection:\n    Text|re|m: '^second$'\ncondition: selection");
        Assert.True(m.Matches(Ev(("Text", "first\nsecond\nthird"))));
        var noM = Rule("selection:\n    Text|re: '^second$'\ncondition: selection");
        Assert.False(noM.Matches(Ev(("Text", "first\nsecond\nthird"))));
        var s = Rule("selection:\n    Text|re|s: 'a.b'\ncondition: selection");
        Assert.True(s.Matches(Ev(("Text", "a\nb"))));
        var noS = Rule("selection:\n    Text|re: 'a.b'\ncondition: selection");
        Assert.False(noS.Matches(Ev(("Text", "a\nb"))));
        // Lookarounds need the backtracking engine; still compiled once and correct.
        var look = Rule("selection:\n    Text|re: 'foo(?!bar)'\ncondition: selection");
        Assert.True(look.Matches(Ev(("Text", "foobaz"))));
        Assert.False(look.Matches(Ev(("Text", "foobar"))));
        var num = Rule("selection:\n    EventID|re: '^46\\d\\d$'\ncondition: selection");
        Assert.True(num.Matches(Ev(("EventID", 4688L))));
    }

    [Fact]
    public void Base64()
    {
        var r = Rule("selection:\n    Payload|base64: 'http://'\ncondition: selection");
        Assert.True(r.Matches(Ev(("Payload", Convert.ToBase64String(Encoding.UTF8.GetBytes("http://"))))));
        Assert.False(r.Matches(Ev(("Payload", "http://"))));
        var c = Rule("selection:\n    Payload|base64|contains: 'http://'\ncondition: selection");
        Assert.True(c.Matches(Ev(("Payload", "xx" + Convert.ToBase64String(Encoding.UTF8.GetBytes("http://")) + "yy"))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Base64OffsetFindsValueAtEveryAlignment(int prefixLength)
    {
        var r = Rule("selection:\n    CommandLine|base64offset|contains: 'IEX (New-Object'\ncondition: selection");
        string plain = new string('A', prefixLength) + "IEX (New-Object Net.WebClient)";
        string encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(plain));
        Assert.True(r.Matches(Ev(("CommandLine", "powershell -e " + encoded))));
        string other = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('A', prefixLength) + "Write-Host (New-Object")) ;
        Assert.False(r.Matches(Ev(("CommandLine", "powershell -e " + other))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void WideBase64OffsetMatchesPowerShellEncodedCommand(int prefixChars)
    {
        var r = Rule("selection:\n    CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\ncondition: selection");
        string script = new string('x', prefixChars) + "Invoke-Mimikatz -DumpCreds";
        string enc = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        Assert.True(r.Matches(Ev(("CommandLine", "powershell.exe -EncodedCommand " + enc))));
        string utf8 = Convert.ToBase64String(Encoding.UTF8.GetBytes(script));   // not UTF-16 → no match
        Assert.False(r.Matches(Ev(("CommandLine", "powershell.exe -EncodedCommand " + utf8))));
    }

    [Fact]
    public void Utf16VariantsNeedBase64AndEncodeDifferently()
    {
        var le = Rule("selection:\n    Blob|utf16le|base64: 'cmd'\ncondition: selection");
        Assert.True(le.Matches(Ev(("Blob", Convert.ToBase64String(Encoding.Unicode.GetBytes("cmd"))))));
        var be = Rule("selection:\n    Blob|utf16be|base64: 'cmd'\ncondition: selection");
        Assert.True(be.Matches(Ev(("Blob", Convert.ToBase64String(Encoding.BigEndianUnicode.GetBytes("cmd"))))));
        Assert.False(be.Matches(Ev(("Blob", Convert.ToBase64String(Encoding.Unicode.GetBytes("cmd"))))));
        var bom = Rule("selection:\n    Blob|utf16|base64: 'cmd'\ncondition: selection");
        Assert.True(bom.Matches(Ev(("Blob", Convert.ToBase64String([0xFF, 0xFE, .. Encoding.Unicode.GetBytes("cmd")])))));
        var set = Load("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        Blob|wide: 'cmd'\n    condition: sel\n");
        Assert.Contains("base64", Assert.Single(set.Errors).Message);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("/")]
    [InlineData("\u2013")]
    [InlineData("\u2014")]
    [InlineData("\u2015")]
    public void WindashMatchesEveryDash(string dash)
    {
        var r = Rule("selection:\n    CommandLine|windash|contains:\n        - ' -exec bypass'\ncondition: selection");
        Assert.True(r.Matches(Ev(("CommandLine", $"powershell.exe {dash}exec bypass -f x.ps1"))));
    }

    [Fact]
    public void WindashDoesNotMatchOtherCharsOrInWordDashes()
    {
        var r = Rule("selection:\n    CommandLine|windash|contains: ' -exec'\ncondition: selection");
        Assert.False(r.Matches(Ev(("CommandLine", "powershell +exec"))));
        Assert.False(r.Matches(Ev(("CommandLine", "powershell exec"))));
        // Two flags: every combination is generated.
        var two = Rule("selection:\n    CommandLine|windash|contains: ' -a -b'\ncondition: selection");
        Assert.True(two.Matches(Ev(("CommandLine", "x /a \u2014b"))));
        // A dash inside a word is not a flag and is not expanded.
        var word = Rule("selection:\n    CommandLine|windash|contains: 'Set-Item'\ncondition: selection");
        Assert.True(word.Matches(Ev(("CommandLine", "Set-Item x"))));
        Assert.False(word.Matches(Ev(("CommandLine", "Set/Item x"))));
    }

    [Fact]
    public void CidrIPv4()
    {
        var r = Rule("selection:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '192.168.1.0/25'\ncondition: selection");
        Assert.True(r.Matches(Ev(("DestinationIp", "10.1.2.3"))));
        Assert.True(r.Matches(Ev(("DestinationIp", "192.168.1.127"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "192.168.1.128"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "11.0.0.1"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "not an ip"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "10.1.2"))));
        Assert.True(r.Matches(Ev(("DestinationIp", "::ffff:10.9.8.7"))));
    }

    [Fact]
    public void CidrIPv6()
    {
        var r = Rule("selection:\n    DestinationIp|cidr: '2001:db8::/32'\ncondition: selection");
        Assert.True(r.Matches(Ev(("DestinationIp", "2001:db8::1"))));
        Assert.True(r.Matches(Ev(("DestinationIp", "2001:DB8:ffff::1"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "2001:db9::1"))));
        Assert.False(r.Matches(Ev(("DestinationIp", "10.0.0.1"))));
        var ula = Rule("selection:\n    DestinationIp|cidr: 'fc00::/7'\ncondition: selection");
        Assert.True(ula.Matches(Ev(("DestinationIp", "fd12:3456::1"))));
        Assert.False(ula.Matches(Ev(("DestinationIp", "fe80::1"))));
    }

    [Fact]
    public void FieldRef()
    {
        var eq = Rule("selection:\n    TargetUserName|fieldref: SubjectUserName\ncondition: selection");
        Assert.True(eq.Matches(Ev(("TargetUserName", "Bob"), ("SubjectUserName", "bob"))));
        Assert.False(eq.Matches(Ev(("TargetUserName", "Bob"), ("SubjectUserName", "alice"))));
        Assert.False(eq.Matches(Ev(("TargetUserName", "Bob"))));
        var sw = Rule("selection:\n    CommandLine|fieldref|startswith: Image\ncondition: selection");
        Assert.True(sw.Matches(Ev(("CommandLine", "C:\\x.exe -a"), ("Image", "C:\\x.exe"))));
        Assert.False(sw.Matches(Ev(("CommandLine", "\"C:\\x.exe\" -a"), ("Image", "C:\\x.exe"))));
        var ew = Rule("selection:\n    Image|fieldref|endswith: OriginalFileName\ncondition: selection");
        Assert.True(ew.Matches(Ev(("Image", "C:\\a\\cmd.exe"), ("OriginalFileName", "Cmd.Exe"))));
        Assert.False(ew.Matches(Ev(("Image", "C:\\a\\x.exe"), ("OriginalFileName", "Cmd.Exe"))));
        var c = Rule("selection:\n    CommandLine|fieldref|contains: User\ncondition: selection");
        Assert.True(c.Matches(Ev(("CommandLine", "runas bob x"), ("User", "bob"))));
        var num = Rule("selection:\n    ProcessId|fieldref: ParentProcessId\ncondition: selection");
        Assert.True(num.Matches(Ev(("ProcessId", 42L), ("ParentProcessId", "42"))));
        Assert.False(num.Matches(Ev(("ProcessId", 42L), ("ParentProcessId", 43L))));
        var ne = Rule("selection:\n    TargetUserName|fieldref|neq: SubjectUserName\ncondition: selection");
        Assert.True(ne.Matches(Ev(("TargetUserName", "Bob"), ("SubjectUserName", "alice"))));
        Assert.False(ne.Matches(Ev(("TargetUserName", "Bob"), ("SubjectUserName", "BOB"))));
    }

    [Fact]
    public void NumericComparisons()
    {
        var gt = Rule("selection:\n    Size|gt: 100\ncondition: selection");
        Assert.True(gt.Matches(Ev(("Size", 101L))));
        Assert.True(gt.Matches(Ev(("Size", "150"))));
        Assert.False(gt.Matches(Ev(("Size", 100L))));
        Assert.False(gt.Matches(Ev(("Size", "abc"))));
        Assert.False(gt.Matches(Ev(("Other", 500L))));
        var gte = Rule("selection:\n    Size|gte: 100\ncondition: selection");
        Assert.True(gte.Matches(Ev(("Size", 100L))));
        Assert.False(gte.Matches(Ev(("Size", 99.5))));
        var lt = Rule("selection:\n    Size|lt: 10\ncondition: selection");
        Assert.True(lt.Matches(Ev(("Size", -3L))));
        Assert.False(lt.Matches(Ev(("Size", 10L))));
        var lte = Rule("selection:\n    Size|lte: '0x10'\ncondition: selection");
        Assert.True(lte.Matches(Ev(("Size", 16L))));
        Assert.True(lte.Matches(Ev(("Size", "0x0f"))));
        Assert.False(lte.Matches(Ev(("Size", 17L))));
    }

    [Fact]
    public void NotEqual()
    {
        var r = Rule("selection:\n    User|neq:\n        - SYSTEM\n        - LOCAL SERVICE\ncondition: selection");
        Assert.True(r.Matches(Ev(("User", "bob"))));
        Assert.False(r.Matches(Ev(("User", "system"))));
        Assert.False(r.Matches(Ev(("User", "Local Service"))));
        Assert.False(r.Matches(Ev(("Other", "x"))));   // absent: neq needs the field to be there
        var n = Rule("selection:\n    EventID|neq: 4688\ncondition: selection");
        Assert.True(n.Matches(Ev(("EventID", 1L))));
        Assert.False(n.Matches(Ev(("EventID", 4688L))));
    }

    [Fact]
    public void ExpandPlaceholders()
    {
        var opts = new RuleLoadOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["Admins"] = ["adm-*", "root"] } };
        var r = Rule("selection:\n    User|expand: '%Admins%'\ncondition: selection", opts);
        Assert.True(r.Matches(Ev(("User", "ADM-bob"))));
        Assert.True(r.Matches(Ev(("User", "root"))));
        Assert.False(r.Matches(Ev(("User", "bob"))));
        var lit = Rule("selection:\n    User: '%Admins%'\ncondition: selection", opts);   // without expand: literal
        Assert.True(lit.Matches(Ev(("User", "%admins%"))));
        var esc = Rule("selection:\n    Path|expand: '\\%plain%Admins%'\ncondition: selection", opts);
        Assert.True(esc.Matches(Ev(("Path", "%plainroot"))));
        // A placeholder without a value: the rule loads, the value matches nothing, and a warning names the place.
        var missing = Load("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        User|expand: '%Nope%'\n    condition: sel\n", "ph.yml");
        Assert.Empty(missing.Errors);
        Assert.False(Assert.Single(missing.Rules).Matches(Ev(("User", "%Nope%"))));
        var err = Assert.Single(missing.Warnings);
        Assert.Equal("ph.yml", err.File);
        Assert.Equal(6, err.Line);
        Assert.Contains("%Nope%", err.Message);
    }

    [Fact]
    public void TimeParts()
    {
        var hour = Rule("selection:\n    EventTime|hour|gte: 22\ncondition: selection");
        Assert.True(hour.Matches(Ev(("EventTime", new DateTime(2024, 5, 1, 23, 10, 0, DateTimeKind.Utc)))));
        Assert.True(hour.Matches(Ev(("EventTime", "2024-05-01T22:00:00Z"))));
        Assert.False(hour.Matches(Ev(("EventTime", "2024-05-01T08:00:00Z"))));
        Assert.False(hour.Matches(Ev(("EventTime", "yesterday"))));
        var fallback = Rule("selection:\n    timestamp|month: 12\ncondition: selection");
        var e = Ev(("A", "x"));
        e.TimestampTicks = new DateTime(2023, 12, 24, 0, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.True(fallback.Matches(e));
        e.TimestampTicks = new DateTime(2023, 11, 24, 0, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.False(fallback.Matches(e));
        var parts = new (string Mod, int Value)[] { ("minute", 7), ("day", 3), ("week", 1), ("year", 2024), ("month", 1) };
        foreach (var (mod, value) in parts)
        {
            var r = Rule($"selection:\n    T|{mod}: {value}\ncondition: selection");
            Assert.True(r.Matches(Ev(("T", new DateTime(2024, 1, 3, 4, 7, 0, DateTimeKind.Utc)))), mod);
            Assert.False(r.Matches(Ev(("T", new DateTime(2025, 2, 13, 5, 8, 0, DateTimeKind.Utc)))), mod);
        }
    }
}

public class ExactSetTests
{
    [Fact]
    public void ManyExactValuesUseASetWithSameAnswers()
    {
        var values = Enumerable.Range(0, 12).Select(i => $"host{i}.pool.example").ToList();
        var det = "selection:\n    DestinationHostname:\n" + string.Join("\n", values.Select(v => $"        - '{v}'"))
                  + "\n        - '*.evil.example'\n        - '4688'\n        - 77\ncondition: selection";
        var r = RuleTestHelper.Rule(det);
        Assert.Contains("any of EndsWith", r.Describe());
        foreach (var v in values)
        {
            Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", v.ToUpperInvariant()))), v);
            Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", RuleTestHelper.Utf16(v)))), v);
        }
        Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", "a.EVIL.example"))));
        Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", 4688L))));   // number formatted as text
        Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", 77L))));
        Assert.True(r.Matches(RuleTestHelper.Ev(("DestinationHostname", "77"))));
        Assert.False(r.Matches(RuleTestHelper.Ev(("DestinationHostname", "host12.pool.example"))));
        Assert.False(r.Matches(RuleTestHelper.Ev(("DestinationHostname", "host1.pool.example.com"))));
        Assert.False(r.Matches(RuleTestHelper.Ev(("Other", "host1.pool.example"))));
        Assert.False(r.Matches(RuleTestHelper.Ev(("DestinationHostname", 4689L))));
    }
}
