using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Engine.Matching;

public sealed partial class CollectionMatcher
{
    /// <summary>A text of every table the matcher cache restores (tests: a matcher read from the cache must describe
    /// itself exactly as the one built), field keys as names.</summary>
    internal string DescribeTables()
    {
        var t = new StringBuilder();
        string Name(int key) => key < 0 ? "(keywords)" : FieldNames.Name(key);
        for (int r = 0; r < _rules.Length; r++)
        {
            t.Append("rule ").Append(r).Append(_hasPrefilter[r] ? " prefiltered" : "").Append('\n');
            foreach (var q in _requirements[r])
                t.Append("  requires channels ").Append(q.Channels == null ? "any" : string.Join(",", q.Channels))
                    .Append(" ids ").Append(q.EventIds == null ? "any" : string.Join(",", q.EventIds)).Append('\n');
            t.Append("  keyword atoms ").Append(string.Join(",", _keywordAtomsOfRule[r])).Append('\n');
            t.Append("  automata ").Append(string.Join(",", _automataOfRule[r].Select(f => Name(_fields[f].FieldId)))).Append('\n');
            if (_programs != null) t.Append(_programs[r].Describe(_rules[r]));
        }
        for (int a = 0; a < _atoms.Length; a++)
            t.Append("atom ").Append(a).Append(' ').Append(Name(_atoms[a].FieldId)).Append(' ').Append(_atoms[a].Kind).Append(' ').Append(_atoms[a].Needle)
                .Append(" rules ").Append(string.Join(",", _ruleList[_ruleStart[a].._ruleStart[a + 1]])).Append('\n');
        foreach (var f in _fields)
            t.Append("field ").Append(Name(f.FieldId)).Append(f.MatchesIntegers ? " integers" : "").Append(" needles ").Append(string.Join("|", f.Needles))
                .Append(" atoms ").Append(string.Join(",", f.AtomStart)).Append(" / ").Append(string.Join(",", f.AtomIds))
                .Append(" kinds ").Append(string.Join(",", f.AtomKinds)).Append(" lengths ").Append(string.Join(",", f.Lengths))
                .Append(" present ").Append(string.Join(",", f.PresentAtoms)).Append('\n');
        t.Append("constraints ").Append(_constraintCount).Append(", alphabet ").Append(_alphabet.Size).Append('\n');
        return t.ToString();
    }

    /// <summary>
    /// Cache of what the matcher derives from the compiled rules before the first event: the index requirements, the
    /// numbered atoms, the atom -> rules index and the rule programs (about two thirds of a full-collection start-up).
    /// One file per rule set, <c>matcher-KEY.bin</c> in the rule cache folder (<see cref="MatcherOptions.CacheDirectory"/>).
    ///
    /// Key: SHA-256 of the code that derives (module version ids), the options, the <see cref="RuleSet.Fingerprint"/>
    /// of the load that compiled the rules (code, rule files' paths and contents, placeholders, mapping files) and the
    /// indexes of the rules this matcher runs. Compilation is deterministic, so an equal key means equal compiled rules;
    /// field names are stored as text and resolved again, because field ids depend on the order names were interned.
    /// The programs refer to the compiled detection nodes by their position in a walk of the rule's trees, and a read
    /// checks each node's kind, children and signature (cost, field name, needles) against the fresh compile.
    ///
    /// Layout: magic "VIGILMC1", key (32), payload length (int64), payload, SHA-256 of the payload (32). A file that is
    /// truncated, altered, inconsistent or unreadable is ignored (the matcher is derived again and the file rewritten);
    /// a folder that cannot be written just means no cache. Writes are atomic (temporary file, then rename); at most
    /// <see cref="MaxFiles"/> matcher files are kept, the least recently written are deleted.
    /// Trusted like the parse cache: the checksum detects damage, not tampering.
    /// </summary>
    internal static class MatcherCache
    {
        public const int MaxFiles = 8;
        private const long MaxFileBytes = 512L << 20;
        private static readonly byte[] Magic = "VIGILMC1"u8.ToArray();
        private const int HeaderSize = 8 + 32 + 8;
        private static readonly byte[] CodeStamp = ComputeStamp();

        /// <summary>The cache key, or null when the matcher cannot be cached (no cache folder, rules without a
        /// fingerprint, rules of different loads).</summary>
        public static byte[]? KeyFor(CompiledRule[] rules, MatcherOptions options)
        {
            if (options.CacheDirectory == null || rules.Length == 0) return null;
            if (rules[0].Origin is not { } first) return null;
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            h.AppendData("VIGIL-MATCHER-1"u8);
            h.AppendData(CodeStamp);
            h.AppendData(first.Fingerprint);
            Span<byte> buf = stackalloc byte[4];
            buf[0] = (byte)(options.UseIndex ? 1 : 0);
            buf[1] = (byte)(options.UsePrefilter ? 1 : 0);
            buf[2] = (byte)(options.UseAtomTests ? 1 : 0);
            buf[3] = 0;
            h.AppendData(buf);
            foreach (var rule in rules)
            {
                if (rule.Origin is not { } o || !o.Fingerprint.AsSpan().SequenceEqual(first.Fingerprint)) return null;
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buf, o.Index);
                h.AppendData(buf);
            }
            return h.GetHashAndReset();
        }

        public static string PathFor(string dir, byte[] key) => Path.Combine(dir, $"matcher-{Convert.ToHexStringLower(key.AsSpan(0, 12))}.bin");

        /// <summary>Fills <paramref name="m"/>'s requirements, prefilter flags, atoms, atom -> rules index, keyword atoms,
        /// programs and field needle lists from the cache; false when there is no usable file (everything the read may
        /// have set is then derived again by the caller). <paramref name="detail"/>: the read's times, or why the file was
        /// not used (for <c>hunt -v</c>).</summary>
        public static bool TryLoad(CollectionMatcher m, string dir, byte[] key, out string detail)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            string path = PathFor(dir, key);
            byte[] data;
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists) { detail = "no cache file yet"; return false; }
                if (info.Length > MaxFileBytes || info.Length < HeaderSize + 32) { detail = $"{path} ignored: {info.Length} bytes"; return false; }
                data = File.ReadAllBytes(info.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                detail = $"{path} unreadable: {ex.Message}";
                return false;
            }
            long length = data.Length < HeaderSize + 32 ? -1 : System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(40));
            if (length != data.Length - HeaderSize - 32 || !data.AsSpan(0, 8).SequenceEqual(Magic) || !data.AsSpan(8, 32).SequenceEqual(key))
            {
                detail = $"{path} ignored: not a matcher cache file for these rules, or truncated";
                return false;
            }
            var payload = data.AsSpan(HeaderSize, (int)length);
            Span<byte> sum = stackalloc byte[32];
            SHA256.HashData(payload, sum);
            if (!sum.SequenceEqual(data.AsSpan(data.Length - 32))) { detail = $"{path} ignored: checksum mismatch (damaged)"; return false; }
            try
            {
                double read = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
                using var r = new BinaryReader(new MemoryStream(data, HeaderSize, (int)length, writable: false), Encoding.UTF8);
                Read(m, r, data, HeaderSize, out double tables);
                detail = $"{data.Length / 1048576.0:F1} MB read and checked {read:F2} s, tables {tables:F2} s, "
                    + $"programs {System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds - read - tables:F2} s";
                return true;
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException
                                       || (ex is AggregateException agg && agg.Flatten().InnerExceptions.All(e => e is EndOfStreamException or InvalidDataException)))
            {
                // Consistent checksum but contents that do not fit these rules: a stale or foreign file. Everything the
                // read may have set is derived again by the caller.
                m._programs = null;
                var cause = ex is AggregateException a ? a.Flatten().InnerExceptions[0] : ex;
                detail = $"{path} ignored: it does not fit these rules ({cause.Message})";
                return false;
            }
        }

        public static void Save(CollectionMatcher m, string dir, byte[] key)
        {
            byte[] payload;
            try
            {
                using var ms = new MemoryStream();
                using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) Write(m, w);
                payload = ms.ToArray();
            }
            catch (InvalidOperationException)
            {
                // A program that does not cover its rule's nodes (RuleProgram.Write): not stored, and the next run builds
                // again. The hunt itself does not depend on the cache; the tests assert that the cache is hit.
                return;
            }
            string path = PathFor(dir, key);
            try
            {
                Vigil.Rules.Caching.CacheFiles.WriteAtomic(path, f =>
                {
                    f.Write(Magic);
                    f.Write(key);
                    Span<byte> size = stackalloc byte[8];
                    System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(size, payload.Length);
                    f.Write(size);
                    f.Write(payload);
                    f.Write(SHA256.HashData(payload));
                });
                Prune(dir, path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException) { }
        }

        /// <summary>Deletes the least recently written matcher files beyond <see cref="MaxFiles"/> (never <paramref name="keep"/>).</summary>
        private static void Prune(string dir, string keep)
        {
            var files = new DirectoryInfo(dir).GetFiles("matcher-*.bin").OrderByDescending(f => f.LastWriteTimeUtc).ToList();
            foreach (var f in files.Skip(MaxFiles))
                if (!string.Equals(f.FullName, Path.GetFullPath(keep), StringComparison.Ordinal)) f.Delete();
        }

        // ---- payload -----------------------------------------------------------------------------------------------

        private static void Write(CollectionMatcher m, BinaryWriter w)
        {
            int n = m._rules.Length;
            // Field keys as names (ids depend on the order names were interned in a process).
            var nameOf = new Dictionary<int, int>();
            var names = new List<string>();
            int NameIndex(int key)
            {
                if (key < 0) return -1;
                if (!nameOf.TryGetValue(key, out int i)) { nameOf[key] = i = names.Count; names.Add(FieldNames.Name(key)); }
                return i;
            }
            // Names first in the file, but gathered while writing the rest: the rest goes to a second buffer.
            using var bodyStream = new MemoryStream();
            using (var b = new BinaryWriter(bodyStream, Encoding.UTF8, leaveOpen: true))
            {
                for (int r = 0; r < n; r++)
                {
                    b.Write(m._hasPrefilter[r]);
                    var reqs = m._requirements[r];
                    b.Write(reqs.Count);
                    foreach (var q in reqs)
                    {
                        if (q.Channels == null) b.Write(-1);
                        else { b.Write(q.Channels.Count); foreach (var c in q.Channels) WriteText(b, c); }
                        if (q.EventIds == null) b.Write(-1);
                        else { b.Write(q.EventIds.Count); foreach (long id in q.EventIds) b.Write(id); }
                    }
                }
                b.Write(m._atoms.Length);
                foreach (var a in m._atoms)
                {
                    b.Write(NameIndex(a.FieldId));
                    b.Write((byte)a.Kind);
                    WriteText(b, a.Needle);
                }
                WriteInts(b, m._ruleStart);
                WriteInts(b, m._ruleList);
                foreach (var k in m._keywordAtomsOfRule) WriteInts(b, k);
                // The fields' needle lists (a needle as the id of its first atom, whose needle it is), in matcher order.
                b.Write(m._fields.Length);
                foreach (var f in m._fields)
                {
                    b.Write(NameIndex(f.FieldId));
                    b.Write(f.MatchesIntegers);
                    WriteInts(b, f.AtomStart);
                    WriteInts(b, f.AtomIds);
                    WriteInts(b, f.PresentAtoms);
                }
                foreach (var a in m._automataOfRule) WriteInts(b, a);
                b.Write(m._programs != null);
                if (m._programs != null)
                {
                    b.Write(m._constraintCount);
                    // Each program as its own length-prefixed block, so that a read can decode them in parallel.
                    using var one = new MemoryStream();
                    using var ow = new BinaryWriter(one, Encoding.UTF8, leaveOpen: true);
                    for (int r = 0; r < n; r++)
                    {
                        one.SetLength(0);
                        m._programs[r].Write(ow, m._rules[r], NameIndex);
                        ow.Flush();
                        b.Write((int)one.Length);
                        b.Write(one.GetBuffer(), 0, (int)one.Length);
                    }
                }
            }
            w.Write(n);
            w.Write(names.Count);
            foreach (var s in names) WriteText(w, s);
            w.Write(bodyStream.GetBuffer(), 0, (int)bodyStream.Length);
        }

        /// <param name="data">The file; the payload <paramref name="r"/> reads starts at <paramref name="payloadStart"/> in it.</param>
        private static void Read(CollectionMatcher m, BinaryReader r, byte[] data, int payloadStart, out double tablesDone)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            int n = m._rules.Length;
            if (r.ReadInt32() != n) throw new InvalidDataException("rule count");
            var nameKeys = new int[Count(r)];
            for (int i = 0; i < nameKeys.Length; i++) nameKeys[i] = FieldNames.KeyOf(ReadText(r));
            int Key(int index) => index == -1 ? -1 : (uint)index < (uint)nameKeys.Length ? nameKeys[index] : throw new InvalidDataException("name index");

            for (int i = 0; i < n; i++)
            {
                m._hasPrefilter[i] = r.ReadBoolean();
                var reqs = new List<Requirement>(Count(r));
                for (int q = reqs.Capacity; q > 0; q--)
                {
                    HashSet<string>? channels = null;
                    int c = r.ReadInt32();
                    if (c < -1) throw new InvalidDataException("channel count");
                    if (c >= 0)
                    {
                        channels = new HashSet<string>(c, StringComparer.OrdinalIgnoreCase);
                        for (int k = 0; k < c; k++) channels.Add(ReadText(r));
                    }
                    HashSet<long>? ids = null;
                    int e = r.ReadInt32();
                    if (e < -1) throw new InvalidDataException("event id count");
                    if (e >= 0)
                    {
                        ids = new HashSet<long>(e);
                        for (int k = 0; k < e; k++) ids.Add(r.ReadInt64());
                    }
                    reqs.Add(channels == null && ids == null ? Requirement.Any : new Requirement(channels, ids));
                }
                m._requirements[i] = reqs;
            }
            var atoms = new Atom[Count(r)];
            for (int i = 0; i < atoms.Length; i++)
            {
                int field = Key(r.ReadInt32());
                byte kind = r.ReadByte();
                if (kind > (byte)AtomKind.Present) throw new InvalidDataException("atom kind");
                atoms[i] = new Atom(field, (AtomKind)kind, ReadText(r));
            }
            var ruleStart = ReadInts(r);
            var ruleList = ReadInts(r);
            if (ruleStart.Length != atoms.Length + 1 || ruleStart[0] != 0 || ruleStart[^1] != ruleList.Length) throw new InvalidDataException("atom index");
            for (int i = 0; i < atoms.Length; i++) if (ruleStart[i + 1] < ruleStart[i]) throw new InvalidDataException("atom index");
            foreach (int rule in ruleList) if ((uint)rule >= (uint)n) throw new InvalidDataException("rule index");
            var keywordAtoms = new int[n][];
            for (int i = 0; i < n; i++)
            {
                keywordAtoms[i] = ReadInts(r);
                foreach (int a in keywordAtoms[i]) if ((uint)a >= (uint)atoms.Length) throw new InvalidDataException("atom id");
            }
            var alphabet = new Alphabet(atoms.Select(a => a.Needle));
            var fields = new FieldAutomaton[Count(r)];
            for (int i = 0; i < fields.Length; i++)
            {
                int field = Key(r.ReadInt32());
                if (field < 0) throw new InvalidDataException("field name");
                bool integers = r.ReadBoolean();
                var atomStart = ReadInts(r);
                var atomIds = ReadInts(r);
                var present = ReadInts(r);
                int needleCount = atomStart.Length - 1;
                if (needleCount < 0 || atomStart[0] != 0 || atomStart[^1] != atomIds.Length) throw new InvalidDataException("needle list");
                foreach (int a in atomIds) if ((uint)a >= (uint)atoms.Length) throw new InvalidDataException("atom id");
                foreach (int a in present) if ((uint)a >= (uint)atoms.Length) throw new InvalidDataException("atom id");
                var needles = new string[needleCount];
                var lengths = new int[needleCount];
                var kinds = new AtomKind[atomIds.Length];
                for (int k = 0; k < needleCount; k++)
                {
                    if (atomStart[k + 1] <= atomStart[k]) throw new InvalidDataException("needle list");
                    needles[k] = atoms[atomIds[atomStart[k]]].Needle;
                    lengths[k] = needles[k].Length;
                }
                for (int k = 0; k < atomIds.Length; k++) kinds[k] = atoms[atomIds[k]].Kind;
                fields[i] = new FieldAutomaton(field, needles, alphabet, atomStart, atomIds, kinds, lengths, integers) { PresentAtoms = present };
            }
            var automataOfRule = new int[n][];
            for (int i = 0; i < n; i++)
            {
                automataOfRule[i] = ReadInts(r);
                foreach (int f in automataOfRule[i]) if ((uint)f >= (uint)fields.Length) throw new InvalidDataException("field position");
            }
            RuleProgram[]? programs = null;
            int constraints = 0;
            tablesDone = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (r.ReadBoolean())
            {
                constraints = Count(r);
                programs = new RuleProgram[n];
                // The blocks' places first, then the programs decoded in parallel, each from its own block.
                var starts = new int[n];
                var lengths = new int[n];
                var stream = r.BaseStream;
                for (int i = 0; i < n; i++)
                {
                    lengths[i] = Count(r);
                    starts[i] = payloadStart + (int)stream.Position;
                    stream.Position += lengths[i];
                }
                var rules = m._rules;
                var atomCount = atoms.Length;
                Parallel.For(0, n, i =>
                {
                    using var block = new BinaryReader(new MemoryStream(data, starts[i], lengths[i], writable: false), Encoding.UTF8);
                    programs[i] = RuleProgram.Read(block, rules[i], Key, atomCount, constraints);
                    if (block.BaseStream.Position != lengths[i]) throw new InvalidDataException("program block");
                });
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes");
            if ((programs != null) != (m._options.UsePrefilter && m._options.UseAtomTests)) throw new InvalidDataException("programs");
            m._atoms = atoms;
            m._ruleStart = ruleStart;
            m._ruleList = ruleList;
            m._keywordAtomsOfRule = keywordAtoms;
            m._programs = programs;
            m._constraintCount = constraints;
            m._alphabet = alphabet;
            m._fields = fields;
            m.IndexByField(fields);
            m._automataOfRule = automataOfRule;
        }

        /// <summary>A count that must fit in what is left of the payload (at least one byte per item).</summary>
        internal static int Count(BinaryReader r)
        {
            int c = r.ReadInt32();
            if (c < 0 || c > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException("count");
            return c;
        }

        private static void WriteInts(BinaryWriter w, int[] values)
        {
            w.Write(values.Length);
            w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }

        private static int[] ReadInts(BinaryReader r)
        {
            int c = Count(r);
            if ((long)c * 4 > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException("int array");
            var values = new int[c];
            if (r.Read(MemoryMarshal.AsBytes(values.AsSpan())) != c * 4) throw new EndOfStreamException();
            return values;
        }

        /// <summary>Text as its UTF-16 code units, so any string (a lone surrogate too) comes back exactly.</summary>
        internal static void WriteText(BinaryWriter w, string s)
        {
            w.Write(s.Length);
            w.Write(MemoryMarshal.AsBytes(s.AsSpan()));
        }

        internal static string ReadText(BinaryReader r)
        {
            int c = r.ReadInt32();
            if (c < 0 || (long)c * 2 > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException("text length");
            if (c == 0) return "";
            return string.Create(c, r, static (span, reader) =>
            {
                if (reader.Read(MemoryMarshal.AsBytes(span)) != span.Length * 2) throw new EndOfStreamException();
            });
        }

        private static byte[] ComputeStamp() => Vigil.Rules.Caching.CacheFiles.Stamp("1",
            typeof(CollectionMatcher).Assembly, typeof(CompiledRule).Assembly, typeof(FieldNames).Assembly,
            typeof(object).Assembly, typeof(System.Text.RegularExpressions.Regex).Assembly);
    }
}
