// The JS boundary: argument checks whose errors name the function and the argument, and a
// promise-returning AsyncWorker that runs plain C++ off the main thread.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runtime/thread_pool.h"

namespace ctl {

// A TypedArray argument as plain memory, plus the JS object to keep alive while a job runs.
template <class T>
struct ArrayArg {
  T* data = nullptr;
  size_t length = 0;
  Napi::Object object;
};

template <class T>
struct TypedArrayKind;
template <>
struct TypedArrayKind<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayKind<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "Float64Array";
};
template <>
struct TypedArrayKind<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};

// Reads and checks the arguments of one exported function; errors read "fn: argument 'x' ...".
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), fn_(fn) {
    if (info.Length() != count)
      throw Napi::TypeError::New(info.Env(), std::string(fn) + ": expected " + std::to_string(count) +
                                                 " arguments, got " + std::to_string(info.Length()));
  }
  Napi::Env env() const { return info_.Env(); }
  const char* fn() const { return fn_; }

  [[noreturn]] void fail(const char* name, const std::string& what) const {
    throw Napi::TypeError::New(env(), std::string(fn_) + ": argument '" + name + "' " + what);
  }

  template <class T>
  ArrayArg<T> array(size_t i, const char* name) const {
    return array_of<T>(info_[i], name);
  }
  template <class T>
  ArrayArg<T> array(size_t i, const char* name, size_t expected) const {
    ArrayArg<T> a = array<T>(i, name);
    check_length(a, name, expected);
    return a;
  }
  // null → an empty ArrayArg (data == nullptr)
  template <class T>
  ArrayArg<T> optional_array(size_t i, const char* name, size_t expected) const {
    if (info_[i].IsNull() || info_[i].IsUndefined()) return {};
    return array<T>(i, name, expected);
  }
  // A JS array of TypedArrays.
  template <class T>
  std::vector<ArrayArg<T>> array_list(size_t i, const char* name) const {
    if (!info_[i].IsArray()) fail(name, std::string("must be an array of ") + TypedArrayKind<T>::name + "s");
    Napi::Array list = info_[i].As<Napi::Array>();
    std::vector<ArrayArg<T>> out;
    for (uint32_t j = 0; j < list.Length(); j++) {
      std::string item = std::string(name) + "[" + std::to_string(j) + "]";
      out.push_back(array_of<T>(list.Get(j), item.c_str()));
    }
    return out;
  }

  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo = 0, int64_t hi = (int64_t(1) << 40)) const {
    if (!info_[i].IsNumber()) fail(name, "must be a number");
    double v = info_[i].As<Napi::Number>().DoubleValue();
    if (!(v == static_cast<double>(static_cast<int64_t>(v))) || v < static_cast<double>(lo) ||
        v > static_cast<double>(hi))
      fail(name, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + num_str(v));
    return static_cast<int64_t>(v);
  }
  size_t size(size_t i, const char* name, int64_t lo = 0) const { return static_cast<size_t>(integer(i, name, lo)); }

  double number(size_t i, const char* name) const {
    if (!info_[i].IsNumber()) fail(name, "must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  bool boolean(size_t i, const char* name) const {
    if (!info_[i].IsBoolean()) fail(name, "must be a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }
  // An array of `count` integers, each at least `lo`.
  std::vector<size_t> dims(size_t i, const char* name, size_t count, int64_t lo = 0) const {
    if (!info_[i].IsArray()) fail(name, "must be an array of " + std::to_string(count) + " integers");
    Napi::Array a = info_[i].As<Napi::Array>();
    if (a.Length() != count)
      fail(name, "must have " + std::to_string(count) + " entries, got " + std::to_string(a.Length()));
    std::vector<size_t> out;
    for (uint32_t j = 0; j < count; j++) {
      Napi::Value v = a.Get(j);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
      if (!v.IsNumber() || d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(lo) ||
          d > static_cast<double>(int64_t(1) << 40))
        fail(name, "entry " + std::to_string(j) + " must be an integer ≥ " + std::to_string(lo));
      out.push_back(static_cast<size_t>(d));
    }
    return out;
  }

  template <class T>
  void check_length(const ArrayArg<T>& a, const char* name, size_t expected) const {
    if (a.length != expected)
      fail(name, "has " + std::to_string(a.length) + " elements, expected " + std::to_string(expected));
  }

 private:
  static std::string num_str(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
  template <class T>
  ArrayArg<T> array_of(Napi::Value v, const char* name) const {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayKind<T>::type)
      fail(name, std::string("must be a ") + TypedArrayKind<T>::name);
    Napi::TypedArrayOf<T> t = v.As<Napi::TypedArrayOf<T>>();
    return ArrayArg<T>{t.Data(), t.ElementLength(), t};
  }
  const Napi::CallbackInfo& info_;
  const char* fn_;
};

// Adds `fn` to exports as `name`; a std::exception it throws (not only Napi::Error) becomes a JS
// error with its message instead of terminating the process.
inline void export_function(Napi::Env env, Napi::Object exports, const char* name,
                            Napi::Value (*fn)(const Napi::CallbackInfo&)) {
  auto guarded = [fn](const Napi::CallbackInfo& info) -> Napi::Value {
    try {
      return fn(info);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  };
  exports.Set(name, Napi::Function::New(env, guarded, name));
}

// Product of sizes, with an error naming the function when it overflows 2^48 elements.
inline size_t checked_product(const char* fn, std::initializer_list<size_t> dims) {
  size_t p = 1;
  for (size_t d : dims) {
    if (d != 0 && p > (size_t(1) << 48) / d) throw std::length_error(std::string(fn) + ": tensor size overflows");
    p *= d;
  }
  return p;
}

// Calls with less work than this (in multiply-adds or elements touched) run synchronously on the
// main thread (well under a millisecond); larger ones run on the libuv pool.
constexpr double kAsyncWorkThreshold = 1 << 16;

// Runs `task` (plain C++, no Napi::) and settles a promise: resolved with what `done` builds on the
// main thread (undefined without one), or rejected with the message of the std::exception it threw.
// Keeps `keep` alive until it settles.
class PromiseJob : public Napi::AsyncWorker {
 public:
  using Done = std::function<Napi::Value(Napi::Env)>;
  PromiseJob(Napi::Env env, const char* fn, std::function<void()> task, const std::vector<Napi::Object>& keep,
             Done done = nullptr)
      : Napi::AsyncWorker(env, fn),
        deferred_(Napi::Promise::Deferred::New(env)),
        task_(std::move(task)),
        done_(std::move(done)) {
    for (const Napi::Object& o : keep)
      if (!o.IsEmpty()) refs_.push_back(Napi::Persistent(o));  // empty: an absent optional argument
  }
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      task_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(done_ ? done_(Env()) : Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> task_;
  Done done_;
  std::vector<Napi::ObjectReference> refs_;
};

// Queues `task` on the libuv pool; the promise settles with what `done` builds (undefined without one).
inline Napi::Value queue_job(const Args& args, std::function<void()> task, const std::vector<Napi::Object>& keep,
                             PromiseJob::Done done = nullptr) {
  auto* job = new PromiseJob(args.env(), args.fn(), std::move(task), keep, std::move(done));
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

// Runs `task` now (small work: inline on the main thread, never waiting for the pool) or queues
// it (large work); either way returns a promise.
inline Napi::Value run_job(const Args& args, double work, std::function<void()> task,
                           const std::vector<Napi::Object>& keep) {
  Napi::Env env = args.env();
  if (work < kAsyncWorkThreshold) {
    auto d = Napi::Promise::Deferred::New(env);
    try {
      InlineScope serial;
      task();
      d.Resolve(env.Undefined());
    } catch (const std::exception& e) {
      d.Reject(Napi::Error::New(env, e.what()).Value());
    }
    return d.Promise();
  }
  return queue_job(args, std::move(task), keep);
}

// All basis tensors must have the same length; returns it.
inline size_t common_length(const Args& args, const std::vector<ArrayArg<float>>& basis, const char* name) {
  if (basis.empty()) args.fail(name, "must hold at least one tensor");
  for (size_t j = 1; j < basis.size(); j++)
    if (basis[j].length != basis[0].length)
      args.fail(name, "[" + std::to_string(j) + "] has " + std::to_string(basis[j].length) + " elements, [0] has " +
                          std::to_string(basis[0].length));
  return basis[0].length;
}

}  // namespace ctl
