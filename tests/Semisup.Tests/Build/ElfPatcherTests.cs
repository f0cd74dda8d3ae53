using System.Reflection;
using System.Text;

namespace Semisup.Tests.Build;

public class ElfPatcherTests
{
    const string Lib = "libstdc++.so.6", Version = "GLIBCXX_3.4.32", Symbol = "_ZSt21ios_base_library_initv";
    static readonly string[] Allowed = [Symbol];

    /// <summary>A minimal ELF64 with .dynstr, .dynsym, .gnu.version and .gnu.version_r: one Verneed on libstdc++
    /// with GLIBCXX_3.4.30 (index 2) and GLIBCXX_3.4.32 (index 3); symbol 1 uses index 3, symbol 2 uses
    /// <paramref name="otherSymbolVersion"/>.</summary>
    internal static (byte[] Elf, int FlagsOffset) Synthetic(ushort otherSymbolVersion = 2, ushort flags = 0)
    {
        var strtab = new MemoryStream();
        int Str(string s) { int at = (int)strtab.Length; strtab.Write(Encoding.ASCII.GetBytes(s + "\0")); return at; }
        Str("");
        int lib = Str(Lib), v30 = Str("GLIBCXX_3.4.30"), v32 = Str(Version), sym = Str(Symbol), other = Str("other_symbol");

        var b = new MemoryStream();
        var w = new BinaryWriter(b);
        w.Write(new byte[64]);
        long dynstrOff = b.Position; w.Write(strtab.ToArray());
        while (b.Position % 8 != 0) w.Write((byte)0);
        long dynsymOff = b.Position;
        w.Write(new byte[24]);
        foreach (var name in new[] { sym, other }) { w.Write(name); w.Write(new byte[20]); }
        long versymOff = b.Position;
        w.Write((ushort)0); w.Write((ushort)3); w.Write(otherSymbolVersion);
        while (b.Position % 8 != 0) w.Write((byte)0);
        long verneedOff = b.Position;
        w.Write((ushort)1); w.Write((ushort)2); w.Write(lib); w.Write(16); w.Write(0);
        w.Write(0u); w.Write((ushort)0); w.Write((ushort)2); w.Write(v30); w.Write(16);
        int flagsOffset = (int)b.Position + 4;
        w.Write(0u); w.Write(flags); w.Write((ushort)3); w.Write(v32); w.Write(0);
        long shoff = b.Position;
        void Sh(uint type, long off, long size, uint link, uint info, ulong entsize)
        {
            w.Write(0u); w.Write(type); w.Write(0UL); w.Write(0UL); w.Write((ulong)off); w.Write((ulong)size);
            w.Write(link); w.Write(info); w.Write(8UL); w.Write(entsize);
        }
        Sh(0, 0, 0, 0, 0, 0);
        Sh(3, dynstrOff, strtab.Length, 0, 0, 0);
        Sh(11, dynsymOff, 72, 1, 1, 24);
        Sh(0x6fffffff, versymOff, 6, 2, 0, 2);
        Sh(0x6ffffffe, verneedOff, 48, 1, 1, 0);
        var elf = b.ToArray();
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }.CopyTo(elf, 0);
        BitConverter.GetBytes((ulong)shoff).CopyTo(elf, 0x28);
        BitConverter.GetBytes((ushort)64).CopyTo(elf, 0x3A);
        BitConverter.GetBytes((ushort)5).CopyTo(elf, 0x3C);
        return (elf, flagsOffset);
    }

    [Fact]
    public void Sets_the_weak_flag_on_exactly_that_entry()
    {
        var (elf, at) = Synthetic();
        var before = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.Weaken(elf, Lib, Version, Allowed, "t"));
        var changed = Enumerable.Range(0, elf.Length).Where(i => elf[i] != before[i]).ToArray();
        Assert.Equal([at], changed);
        Assert.Equal(2, BitConverter.ToUInt16(elf, at));
    }

    [Fact]
    public void Is_a_no_op_when_already_weak_or_not_required()
    {
        var (elf, _) = Synthetic(flags: 2);
        var before = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.Weaken(elf, Lib, Version, Allowed, "t"));
        Assert.Equal(ElfPatchOutcome.NotRequired, ElfVersionPatcher.Weaken(elf, Lib, "GLIBCXX_9.9", Allowed, "t"));
        Assert.Equal(before, elf);
    }

    [Fact]
    public void Refuses_when_another_symbol_needs_the_version()
    {
        var (elf, _) = Synthetic(otherSymbolVersion: 3);
        var before = (byte[])elf.Clone();
        var e = Assert.Throws<ElfPatchException>(() => ElfVersionPatcher.Weaken(elf, Lib, Version, Allowed, "t.so"));
        Assert.Contains("other_symbol", e.Message);
        Assert.Equal(before, elf);
    }

    [Theory]
    [InlineData("not-elf")]
    [InlineData("32-bit")]
    [InlineData("truncated")]
    [InlineData("bad-string-index")]
    public void Refuses_unrecognised_layouts_without_writing(string damage)
    {
        var (elf, at) = Synthetic();
        switch (damage)
        {
            case "not-elf": elf[1] = (byte)'X'; break;
            case "32-bit": elf[4] = 1; break;
            case "truncated": elf = elf[..(elf.Length - 100)]; break;
            case "bad-string-index": BitConverter.GetBytes(100_000).CopyTo(elf, at + 4); break;
        }
        var before = (byte[])elf.Clone();
        var e = Assert.Throws<ElfPatchException>(() => ElfVersionPatcher.Weaken(elf, Lib, Version, Allowed, "t.so"));
        Assert.Contains("t.so: unrecognised ELF layout", e.Message);
        Assert.Equal(before, elf);
    }

    static string PristineLibrary()
    {
        var root = typeof(ElfPatcherTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void Patches_a_copy_of_the_real_library_in_one_byte_and_leaves_the_original_alone()
    {
        var original = PristineLibrary();
        var originalBytes = File.ReadAllBytes(original);
        var copy = Path.Combine(Path.GetTempPath(), $"semisup-elf-{Guid.NewGuid():N}.so");
        File.Copy(original, copy);
        try
        {
            Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.WeakenFile(copy, Lib, Version, Allowed));
            var patched = File.ReadAllBytes(copy);
            Assert.Single(Enumerable.Range(0, patched.Length), i => patched[i] != originalBytes[i]);
            Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.WeakenFile(copy, Lib, Version, Allowed));
            Assert.Equal(originalBytes, File.ReadAllBytes(original));
        }
        finally { File.Delete(copy); }
    }

    [SkippableFact]
    public void The_build_output_copy_is_patched_where_the_host_lacks_the_version()
    {
        var host = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists(host), $"no {host}: the patch is for Linux hosts with GNU libstdc++");
        Skip.If(ElfVersionPatcher.Provides(host, Version), $"{host} provides {Version}, so the build leaves the library unpatched");
        var bytes = File.ReadAllBytes(output);
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.Weaken(bytes, Lib, Version, Allowed, output));
    }
}
