using System.Text;
using System.Text.Json;
using Semisup.Models;
using Semisup.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Training;

/// <summary>Where a run stands: enough, with the model and optimizer state, to resume exactly.</summary>
public sealed record TrainingState(int Epoch, int BestEpoch, double BestValidationAccuracy, double WallSeconds);

/// <summary>What a checkpoint holds besides tensors: the recipe, the model's signature and the training state.</summary>
public sealed record CheckpointHeader(string Format, string Model, string Signature, Recipe Recipe, TrainingState State);

/// <summary>One file: magic, a JSON header, the model state, then optionally the optimizer and RNG state.
/// Written to a temporary file and renamed, so a crash or a full disk leaves the previous checkpoint intact.</summary>
public static class Checkpoint
{
    const string Magic = "SEMISUP-CKPT-1";

    public static void Save(string path, Classifier model, Recipe recipe, TrainingState state, IOptimizer? optimizer)
    {
        var temp = path + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            using (var w = new BinaryWriter(file))
            {
                w.Write(Magic);
                w.Write(JsonSerializer.Serialize(new CheckpointHeader(Magic, model.GetType().Name, model.Signature(), recipe, state), Recipe.Json));
                model.save(w);
                w.Write(optimizer != null);
                if (optimizer != null)
                {
                    optimizer.Save(w);
                    using var rng = torch.random.get_rng_state();
                    var bytes = rng.data<byte>().ToArray();
                    w.Write(bytes.Length);
                    w.Write(bytes);
                }
                w.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException e)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw new SemisupException($"Could not save checkpoint {path} ({e.Message}); the previous checkpoint, if any, is intact.", e);
        }
    }

    public static CheckpointHeader ReadHeader(string path)
    {
        using var r = Open(path);
        return Header(r, path);
    }

    /// <summary>Loads a checkpoint into a new model built from its recipe. With <paramref name="resumeWith"/>, also
    /// makes the model's optimizer and restores its state and the RNG's, to continue training exactly.</summary>
    public static (Classifier Model, CheckpointHeader Header, IOptimizer? Optimizer) Load(
        string path, Func<Classifier, IOptimizer>? resumeWith = null, Func<Recipe, Classifier>? build = null)
    {
        using var r = Open(path);
        var header = Header(r, path);
        var model = (build ?? ModelRegistry.Create)(header.Recipe);
        if (model.Signature() != header.Signature)
            throw new SemisupException($"{path}: its parameters do not match this model ({header.Model}); it is from another architecture.");
        IOptimizer? optimizer = null;
        try
        {
            model.load(r, strict: true);
            if (resumeWith != null)
            {
                optimizer = resumeWith(model);
                if (!r.ReadBoolean()) throw new SemisupException($"{path}: holds no optimizer state, so it cannot be resumed from.");
                optimizer.Load(r);
                var bytes = r.ReadBytes(r.ReadInt32());
                using var rng = tensor(bytes, ScalarType.Byte);
                torch.random.set_rng_state(rng);
            }
        }
        catch (SemisupException)
        {
            model.Dispose();
            throw;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or InvalidOperationException)
        {
            model.Dispose();
            throw new SemisupException($"{path}: corrupt or truncated checkpoint ({e.Message}).", e);
        }
        return (model, header, optimizer);
    }

    static BinaryReader Open(string path)
    {
        try { return new BinaryReader(File.OpenRead(path), Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"{path}: cannot open checkpoint ({e.Message}).", e);
        }
    }

    static CheckpointHeader Header(BinaryReader r, string path)
    {
        try
        {
            if (r.BaseStream.Length < Magic.Length + 1 || r.ReadString() != Magic)
                throw new SemisupException($"{path}: not a Semisup checkpoint.");
            return JsonSerializer.Deserialize<CheckpointHeader>(r.ReadString(), Recipe.Json)
                ?? throw new SemisupException($"{path}: empty checkpoint header.");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException or FormatException)
        {
            throw new SemisupException($"{path}: not a Semisup checkpoint, or a corrupt one ({e.Message}).", e);
        }
    }
}
