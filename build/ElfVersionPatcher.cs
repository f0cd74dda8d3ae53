// Marks one symbol-version requirement of an ELF64 shared library as WEAK, so that the dynamic loader accepts the
// library on a system whose libstdc++ lacks that version. TorchSharp 0.107.0's libLibTorchSharp.so asks for
// GLIBCXX_3.4.32 (GCC 13) only for _ZSt21ios_base_library_initv, which it references but never relocates;
// Debian 12 stops at GLIBCXX_3.4.30. The patch is applied to the copy in the build output, never the NuGet cache.
//
// This one file is compiled twice: into the MSBuild inline task in Directory.Build.targets, and into the tests
// (with ELF_PATCHER_NO_MSBUILD defined, since they do not reference MSBuild). The inline task is compiled against
// netstandard 2.0, hence no records, spans or OperatingSystem here.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

public sealed class ElfPatchException : Exception
{
    public ElfPatchException(string message) : base(message) { }
}

public enum ElfPatchOutcome { Patched, AlreadyWeak, NotRequired }

public static class ElfVersionPatcher
{
    const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    /// <summary>Finds the Vernaux entry naming <paramref name="version"/> under <paramref name="library"/> and
    /// sets its WEAK flag. Refuses, without writing, any file whose layout it does not recognise or in which a
    /// symbol outside <paramref name="allowedSymbols"/> carries that version.</summary>
    public static ElfPatchOutcome Weaken(byte[] elf, string library, string version, IReadOnlyCollection<string> allowedSymbols, string fileName)
    {
        var f = new Reader(elf, fileName);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw f.Refuse("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw f.Refuse("not a 64-bit little-endian ELF file");

        ulong shoff = f.U64(0x28);
        int shentsize = f.U16(0x3A), shnum = f.U16(0x3C);
        if (shoff == 0 || shnum == 0) throw f.Refuse("it has no section headers");
        if (shentsize != 64) throw f.Refuse($"section header size {shentsize}, expected 64");
        f.Need(shoff, (ulong)shnum * 64, "section header table");

        var sections = Enumerable.Range(0, shnum).Select(i => Section.Read(f, shoff + (ulong)i * 64)).ToArray();
        var verneeds = sections.Where(s => s.Type == ShtGnuVerneed).ToArray();
        if (verneeds.Length != 1) throw f.Refuse($"{verneeds.Length} .gnu.version_r sections, expected 1");
        var verneed = verneeds[0];
        var strtab = f.Linked(sections, verneed, "string table of .gnu.version_r");

        // Walk Elf64_Verneed { u16 version, u16 cnt, u32 file, u32 aux, u32 next } and its
        // Elf64_Vernaux { u32 hash, u16 flags, u16 other, u32 name, u32 next } chains.
        ulong? flagsOffset = null;
        ushort versionIndex = 0;
        ulong need = verneed.Offset;
        for (uint n = 0; n < verneed.Info; n++)
        {
            f.Need(need, 16, "Elf64_Verneed entry");
            if (f.U16(need) != 1) throw f.Refuse($"Verneed version {f.U16(need)} at 0x{need:x}, expected 1");
            int count = f.U16(need + 2);
            string file = f.Str(strtab, f.U32(need + 4));
            ulong aux = need + f.U32(need + 8);
            for (int a = 0; a < count; a++)
            {
                f.Need(aux, 16, "Elf64_Vernaux entry");
                if (file == library && f.Str(strtab, f.U32(aux + 8)) == version)
                {
                    flagsOffset = aux + 4;
                    versionIndex = f.U16(aux + 6);
                }
                uint nextAux = f.U32(aux + 12);
                if (nextAux == 0 && a != count - 1) throw f.Refuse("Vernaux chain ends before its count");
                aux += nextAux;
            }
            uint next = f.U32(need + 12);
            if (next == 0 && n != verneed.Info - 1) throw f.Refuse("Verneed chain ends before its count");
            need += next;
        }
        if (flagsOffset is not ulong at) return ElfPatchOutcome.NotRequired;

        var users = SymbolsWithVersion(f, sections, versionIndex);
        var unexpected = users.Where(s => !allowedSymbols.Contains(s)).ToArray();
        if (unexpected.Length > 0)
            throw f.Refuse($"{version} is also required by {string.Join(", ", unexpected)}; only {string.Join(", ", allowedSymbols)} may be weakened");

        ushort flags = f.U16(at);
        if ((flags & VerFlgWeak) != 0) return ElfPatchOutcome.AlreadyWeak;
        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, (int)at);
        return ElfPatchOutcome.Patched;
    }

    /// <summary>Patches <paramref name="path"/> through a temporary file and a rename, so a hard link into the
    /// NuGet cache is replaced rather than written through, and a failure leaves the original intact.</summary>
    public static ElfPatchOutcome WeakenFile(string path, string library, string version, IReadOnlyCollection<string> allowedSymbols)
    {
        var bytes = File.ReadAllBytes(path);
        var outcome = Weaken(bytes, library, version, allowedSymbols, path);
        if (outcome != ElfPatchOutcome.Patched) return outcome;
        string temp = path + ".patching";
        File.Copy(path, temp, overwrite: true); // keeps the file mode
        File.WriteAllBytes(temp, bytes);
        File.Replace(temp, path, destinationBackupFileName: null);
        return outcome;
    }

    /// <summary>True when a shared library (e.g. the system libstdc++) defines the version string.</summary>
    public static bool Provides(string libraryPath, string version)
    {
        return Encoding.ASCII.GetString(File.ReadAllBytes(libraryPath)).Contains(version + "\0");
    }

    static List<string> SymbolsWithVersion(Reader f, Section[] sections, ushort versionIndex)
    {
        var versym = sections.SingleOrDefault(s => s.Type == ShtGnuVersym) ?? throw f.Refuse("it has no .gnu.version section");
        var dynsym = sections.SingleOrDefault(s => s.Type == ShtDynsym) ?? throw f.Refuse("it has no .dynsym section");
        var names = f.Linked(sections, dynsym, "string table of .dynsym");
        if (dynsym.EntSize != 24) throw f.Refuse($".dynsym entry size {dynsym.EntSize}, expected 24");
        ulong count = dynsym.Size / 24;
        f.Need(dynsym.Offset, dynsym.Size, ".dynsym");
        f.Need(versym.Offset, count * 2, ".gnu.version");
        var users = new List<string>();
        for (ulong i = 0; i < count; i++)
            if ((f.U16(versym.Offset + i * 2) & 0x7fff) == versionIndex)
                users.Add(f.Str(names, f.U32(dynsym.Offset + i * 24)));
        return users;
    }

    // A class, not a record: the inline task compiler has no IsExternalInit.
    sealed class Section
    {
        public uint Type, Link, Info;
        public ulong Offset, Size, EntSize;

        // Elf64_Shdr { u32 name, u32 type, u64 flags, u64 addr, u64 offset, u64 size, u32 link, u32 info, u64 addralign, u64 entsize }
        public static Section Read(Reader f, ulong at) => new Section
        {
            Type = f.U32(at + 4), Offset = f.U64(at + 24), Size = f.U64(at + 32),
            Link = f.U32(at + 40), Info = f.U32(at + 44), EntSize = f.U64(at + 56),
        };
    }

    sealed class Reader
    {
        readonly byte[] b;
        readonly string name;
        public Reader(byte[] bytes, string fileName) { b = bytes; name = fileName; }

        public ElfPatchException Refuse(string why) =>
            new($"{name}: unrecognised ELF layout ({why}); the file was left unchanged. If TorchSharp was upgraded, check whether the GLIBCXX patch in Directory.Build.targets is still needed.");

        public void Need(ulong offset, ulong length, string what)
        {
            if (offset > (ulong)b.Length || length > (ulong)b.Length - offset)
                throw Refuse($"{what} at 0x{offset:x} runs past the end of the file");
        }

        public ushort U16(ulong at) { Need(at, 2, "field"); return BitConverter.ToUInt16(b, (int)at); }
        public uint U32(ulong at) { Need(at, 4, "field"); return BitConverter.ToUInt32(b, (int)at); }
        public ulong U64(ulong at) { Need(at, 8, "field"); return BitConverter.ToUInt64(b, (int)at); }

        public Section Linked(Section[] sections, Section s, string what)
        {
            if (s.Link >= sections.Length) throw Refuse($"{what} is section {s.Link}, past the section table");
            var t = sections[s.Link];
            Need(t.Offset, t.Size, what);
            return t;
        }

        public string Str(Section strtab, uint index)
        {
            if (index >= strtab.Size) throw Refuse($"string index {index} outside its string table");
            int start = (int)(strtab.Offset + index);
            int end = Array.IndexOf(b, (byte)0, start, (int)(strtab.Size - index));
            if (end < 0) throw Refuse("unterminated string");
            return Encoding.ASCII.GetString(b, start, end - start);
        }
    }
}

#if !ELF_PATCHER_NO_MSBUILD
/// <summary>MSBuild task: weakens the version requirement in every given library when the host's libstdc++
/// lacks it; a no-op elsewhere (other OS, newer libstdc++, already patched).</summary>
public sealed class WeakenElfVersionRequirement : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();
    [Microsoft.Build.Framework.Required] public string Library { get; set; } = "";
    [Microsoft.Build.Framework.Required] public string Version { get; set; } = "";
    [Microsoft.Build.Framework.Required] public string AllowedSymbols { get; set; } = "";

    static readonly string[] HostLibraryDirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" };

    public override bool Execute()
    {
        if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) || Files.Length == 0) return true;
        var host = HostLibraryDirs.Select(d => Path.Combine(d, Library)).FirstOrDefault(File.Exists);
        if (host != null && ElfVersionPatcher.Provides(host, Version))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{host} provides {Version}; nothing to patch.");
            return true;
        }
        var allowed = AllowedSymbols.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var item in Files)
        {
            try
            {
                var outcome = ElfVersionPatcher.WeakenFile(item.ItemSpec, Library, Version, allowed);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"{item.ItemSpec}: {Version} requirement {outcome}.");
            }
            catch (ElfPatchException e) { Log.LogError(e.Message); }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif
