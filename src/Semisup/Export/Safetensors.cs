using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range in the data that follows (row-major, little-endian), and an
/// optional "__metadata__" map of strings. The header is padded with spaces to a multiple of 8 bytes, as the
/// reference writer does, so that every tensor starts aligned.</summary>
public static class Safetensors
{
    const string MetadataKey = "__metadata__";

    static readonly Dictionary<ScalarType, string> DTypes = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
    };

    /// <summary>Writes the tensors (in the order given) and the metadata to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<(string Name, string DType, long[] Shape, byte[] Data)>();
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey || entries.Any(e => e.Name == name)) throw new ArgumentException($"tensor name '{name}' is reserved or repeated");
            if (!DTypes.TryGetValue(tensor.dtype, out var dtype)) throw new SemisupException($"safetensors: tensor {name} has dtype {tensor.dtype}, which this writer does not handle.");
            using var cpu = tensor.detach().cpu().contiguous();
            entries.Add((name, dtype, cpu.shape, cpu.bytes.ToArray()));
        }
        var header = new MemoryStream();
        // Names and metadata as written (UTF-8), as the reference writer leaves them, rather than as \u escapes.
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, data) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        header.WriteTo(file);
        foreach (var e in entries) file.Write(e.Data);
    }

    /// <summary>Reads a file <see cref="Write"/> wrote (or any safetensors file of the dtypes it knows): the tensors by
    /// name, in file order, and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        SafeFiles.RequireRegular(path, "a safetensors file");
        var bytes = File.ReadAllBytes(path);
        string Bad(string why) => throw new SemisupException($"{path}: not a safetensors file ({why}).");
        if (bytes.Length < 8) Bad("shorter than its header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)bytes.Length - 8) Bad("its header runs past the end");
        var data = bytes.AsMemory(8 + (int)n);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == MetadataKey)
            {
                foreach (var m in p.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var dtype = DTypes.FirstOrDefault(d => d.Value == p.Value.GetProperty("dtype").GetString()).Key;
            if (!DTypes.ContainsKey(dtype)) Bad($"tensor {p.Name} has an unknown dtype");
            long[] shape = [.. p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            long[] range = [.. p.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
            if (range is not [var begin, var end] || begin < 0 || end < begin || end > data.Length) Bad($"tensor {p.Name}'s data_offsets are out of range");
            var t = empty(shape, dtype);
            if (t.NumberOfElements * t.ElementSize != range[1] - range[0]) Bad($"tensor {p.Name}'s shape and byte range disagree");
            data.Span[(int)range[0]..(int)range[1]].CopyTo(t.bytes);
            tensors[p.Name] = t;
        }
        return (tensors, metadata);
    }
}
