using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Semisup.Tests.Training;

/// <summary>Checkpoints changed as a hostile user would: the header rewritten and the checksum recomputed (it guards
/// against corruption, not forgery), or the format's magic changed.</summary>
public static class ForgedCheckpoints
{
    /// <summary>Rewrites the JSON header of the checkpoint at <paramref name="path"/> and its SHA-256.</summary>
    public static void Rewrite(string path, Action<JsonObject> change, bool checksum = true)
    {
        var bytes = File.ReadAllBytes(path);
        using var r = new BinaryReader(new MemoryStream(bytes[..^32]), Encoding.UTF8);
        var magic = r.ReadString();
        var header = (JsonObject)JsonNode.Parse(r.ReadString())!;
        change(header);
        var rest = r.ReadBytes(bytes.Length);
        using var content = new MemoryStream();
        using (var w = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(magic);
            w.Write(header.ToJsonString());
            w.Write(rest);
        }
        var body = content.ToArray();
        File.WriteAllBytes(path, checksum ? [.. body, .. SHA256.HashData(body)] : [.. body, .. bytes[^32..]]);
    }

    /// <summary>The magic's last digit set to <paramref name="digit"/> (its checksum left where it was).</summary>
    public static void SetFormat(string path, char digit)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes[0]] = (byte)digit;
        File.WriteAllBytes(path, bytes);
    }
}
